"""The embedded AWS account for the demo and the tests: moto server plus what moto lacks.

- `server.Emulator`: moto's server app behind our gateway on 127.0.0.1 (start/stop/reset).
- `gateway`: the one seam; names each call, applies `quotas`, denies what the caller's IAM
  policies do not allow (`iam_enforce`, when `enforce_iam` is on), answers the Lambda gaps
  (`lambda_gaps` → `lambda_code`, `lambda_policy`, `lambda_urls`, `lambda_settings`,
  `lambda_paging`, `lambda_times`, `lambda_revisions`) or forwards to moto, and records CloudTrail
  (`trail_record`, `trail_log` for LookupEvents, `trail_delivery` for trail files).
- `client.session_for`: boto3 sessions acting as any principal, from any IP, at any time.
- `testing.running_emulator`: the context manager for test fixtures.
- `serving`: what `lambda-ir emulator serve` does; `scenarios`: seeded incidents.
"""
