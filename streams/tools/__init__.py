"""Operator tools behind the CLI: publishing files (``produce``), polling feeds (``ingest``), and backfills
(``replay``, ``offsets``, ``reroute``, wired up in ``backfill``)."""
