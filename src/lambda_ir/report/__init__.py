"""Render a case for people (HTML, Markdown) and tools (SARIF, OCSF, JSON lines, CSV)."""
