"""Benchmarks behind ``python -m streams bench``: the offline stages (``offline``), the pipeline through a real
broker (``pipeline``, with the stages' own work from ``work``), several workers (``scaleout``), the message mix
they all use (``mix``) and the bare Faust apps they are compared with (``apps``)."""
