"""Side-by-side benchmarks: every figure is a ratio or a count against a baseline run in the same process."""
