"""The help of every command group: each command with its whole first sentence.

click cuts a command's summary to one line ("Promote items from one environment to the
next, with..."), which hides what the command is for exactly where a user looks for it.
"""

from __future__ import annotations

import sys

import click


class WholeSummaryGroup(click.Group):
    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=sys.maxsize)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
