"""The benchmarks (`qa bench`), as modules of the checkout: they need its seeds/, eval/ and index.

perf.py: latency, cold start, memory, indexing and the growth curve; postgres.py: the
PostgreSQL backend; programs/: what the benchmark runs in fresh processes; ingest.py and
load.py: stand-alone runs (see README.md here).
"""
