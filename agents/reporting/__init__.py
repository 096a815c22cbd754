"""Reports of comparisons, rebuilt from run directories alone: tables (one Markdown formatter), plots,
statistics (IQM, bootstrap CIs, probability of improvement) and publishing to docs/."""
