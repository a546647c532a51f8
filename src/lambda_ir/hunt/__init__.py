"""CloudTrail hunting pushed down to Amazon Athena: one rule source, DuckDB and Athena SQL.

    hunt(case, session, HuntOptions(workgroup, table, since, until, rules, region)) -> HuntSummary

`rules` holds `LAMBDA_RULES` (the Lambda CloudTrail detectors' selections) and, from
`sigma_rules(dirs)`, the responder's Sigma rules. `hunt.table` is the standard CloudTrail
table, `hunt.query` the one query, `hunt.athena` the API workflow, `hunt.local` the same
table in DuckDB, `hunt.ingest` what goes into the case.
"""
