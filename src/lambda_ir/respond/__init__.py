"""The only part that writes to AWS: containment with plan, evidence first, --apply, undo."""
