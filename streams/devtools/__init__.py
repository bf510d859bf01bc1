"""Development tools: the demo, running local workers, and the benchmarks (``bench``)."""
