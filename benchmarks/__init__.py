"""Side-by-side benchmarks: every figure is a ratio or count against a baseline run alongside."""
