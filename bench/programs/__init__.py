"""Programs the benchmark starts in fresh processes (`python -m bench.programs.NAME ...`)."""
