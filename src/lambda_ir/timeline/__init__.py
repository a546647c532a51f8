"""Timeline: every evidence kind turned into dated events and merged in UTC order.

One module per evidence kind (cloudtrail, versions, aliases, logs, runtime, findings);
`merge` combines them, `output` renders Timesketch-ready JSON lines or CSV, and `write`
puts the file into the case.
"""

from lambda_ir.timeline.merge import build_timeline
from lambda_ir.timeline.output import timesketch_record, to_csv, to_jsonl
from lambda_ir.timeline.write import TimelineResult, write_timeline

__all__ = [
    "TimelineResult",
    "build_timeline",
    "timesketch_record",
    "to_csv",
    "to_jsonl",
    "write_timeline",
]
