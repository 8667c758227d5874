"""The `fabctl` command line: parse, send a command or run a query, render."""
