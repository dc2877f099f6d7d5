"""Command argument parsing: pure functions from text to engine requests or ParseError."""
