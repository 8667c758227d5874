"""The `fabctl` entry point: the command groups and the one place errors become exit codes."""

from __future__ import annotations

import sys
from typing import Any

import click

from fabctl import __version__
from fabctl.entrypoints.allocator import tune_malloc
from fabctl.entrypoints.cli import exit_codes
from fabctl.entrypoints.cli.deploy import deploy, plan
from fabctl.entrypoints.cli.events import events
from fabctl.entrypoints.cli.promote import promote
from fabctl.entrypoints.cli.runtime import fail, log_unexpected
from fabctl.entrypoints.cli.tx import tx
from fabctl.entrypoints.emulator.cli import emulator


class FabctlGroup(click.Group):
    """Turns every known error into one clear line and a distinct exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        # Imported here so `fabctl --help` does not pay for the domain and application.
        from fabctl.application.errors import GatewayError
        from fabctl.domain.errors import DomainError

        try:
            return super().invoke(ctx)
        except DomainError as e:
            fail(e, exit_codes.USER_ERROR, kind=type(e).__name__, subject=e.subject, field=e.field)
        except GatewayError as e:
            fail(e, exit_codes.DEPLOYMENT_FAILED, kind=type(e).__name__, error_code=e.error_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            # Output was cut short by its reader (`| head`); the work itself is done and recorded.
            sys.stderr.close()
            raise click.exceptions.Exit(exit_codes.OK) from None
        except Exception as e:
            where = log_unexpected(e)
            fail(e, exit_codes.INTERNAL_ERROR, kind="InternalError", log=where)


@click.group(cls=FabctlGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fabctl")
def cli() -> None:
    """Release management for Microsoft Fabric workspaces kept in git.

    \b
    Plan and deploy a Fabric git-integration folder to an environment:
      fabctl plan examples/sales-workspace --env dev
      fabctl deploy examples/sales-workspace --env dev
    Promote it to the next environment with an approval:
      fabctl promote request examples/sales-workspace --from dev --user alice
      fabctl promote approve <REQUEST_ID> --user bob
    See what happened:
      fabctl tx list        fabctl promote list        fabctl events

    With no configuration, fabctl runs on the embedded defaults: a local Fabric and a SQLite
    state store in .fabctl/ of the working directory, and an in-memory event bus.

    \b
    Exit codes: 0 success, 1 internal error (see .fabctl/fabctl.log),
                2 user error (nothing changed), 3 deployment failed.
    """


cli.add_command(plan)
cli.add_command(deploy)
cli.add_command(promote)
cli.add_command(tx)
cli.add_command(events)
cli.add_command(emulator)


def main() -> None:
    tune_malloc()
    sys.exit(cli.main(prog_name="fabctl", standalone_mode=True))


if __name__ == "__main__":
    main()
