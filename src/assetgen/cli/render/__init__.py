"""Rendering of each command's result: one module per command, each with
`show(console, result)`, writing human text, or the `--json` document when the console
is in JSON mode. Commands compute; these only format."""
