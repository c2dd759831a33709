"""Speed and memory at national scale: `python -m benchmarks` (see benchmarks/run.py)."""
