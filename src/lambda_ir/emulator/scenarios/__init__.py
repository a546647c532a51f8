"""Scripted incident scenarios for the emulated account (content is ours)."""
