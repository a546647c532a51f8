"""Read-only collection from AWS into a case folder: concurrent, quota-aware, never fatal."""
