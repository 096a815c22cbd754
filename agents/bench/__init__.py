"""`pixelarena bench`: speed and reference-score measurements, and the tables they print."""
