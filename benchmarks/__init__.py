"""Side-by-side speed of cvquiz against its peers: ``python -m benchmarks`` (see BENCHMARKS.md)."""
