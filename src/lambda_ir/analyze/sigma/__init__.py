"""Sigma rules for CloudTrail, parsed by pySigma and evaluated by DuckDB on `trail_events`."""
