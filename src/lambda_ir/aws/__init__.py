"""AWS plumbing shared by acquire and respond: sessions, retries, paging, quota buckets."""
