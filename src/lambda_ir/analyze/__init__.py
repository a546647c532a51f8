"""Detectors over a case, offline: code rules, configuration, CloudTrail, logs, gaps."""
