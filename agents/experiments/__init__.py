"""Comparisons: grids of runs (encoder specs x seeds) planned and validated up front, the job scheduler that
trains them in processes, and the suites of experiments behind the claim."""
