"""Sigma rules for CloudTrail, parsed by pySigma and run by DuckDB on the raw records."""
