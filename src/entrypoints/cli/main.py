"""The `fabctl` entry point: the command groups and the one place errors become exit codes."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from fabctl import __version__
from fabctl.entrypoints.allocator import tune_malloc
from fabctl.entrypoints.cli import exit_codes
from fabctl.entrypoints.cli.audit import audit
from fabctl.entrypoints.cli.completion import completion
from fabctl.entrypoints.cli.deploy import deploy, plan
from fabctl.entrypoints.cli.doctor import doctor
from fabctl.entrypoints.cli.events import events
from fabctl.entrypoints.cli.groups import WholeSummaryGroup
from fabctl.entrypoints.cli.init import init, schema
from fabctl.entrypoints.cli.notify import notify
from fabctl.entrypoints.cli.promote import promote
from fabctl.entrypoints.cli.rules import rules
from fabctl.entrypoints.cli.runtime import fail, log_unexpected
from fabctl.entrypoints.cli.state import state
from fabctl.entrypoints.cli.tx import tx
from fabctl.entrypoints.cli.worker import worker
from fabctl.entrypoints.emulator.cli import emulator


class FabctlGroup(WholeSummaryGroup):
    """Turns every known error into one clear line and its exit code (`exit_codes`), never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        # Imported here so `fabctl --help` does not pay for the domain and application.
        from fabctl.application.errors import AccessDenied, DirectoryUnavailable, GatewayError
        from fabctl.domain.errors import DomainError

        try:
            return super().invoke(ctx)
        except DomainError as e:
            fail(e, exit_codes.USER_ERROR, kind=type(e).__name__, subject=e.subject, field=e.field)
        except DirectoryUnavailable as e:  # a Graph permission missing: named, with the principals.yaml fallback
            fail(e, exit_codes.USER_ERROR, kind=type(e).__name__, permission=e.permission)
        except AccessDenied as e:  # no sign-in, or a role missing: the user's to fix, wherever it happens
            fail(e, exit_codes.USER_ERROR, kind=type(e).__name__, error_code=e.error_code)
        except GatewayError as e:
            # A deployment's failed writes are its result: the command exits 3 itself. A gateway error
            # that reaches here failed a read or a call before any write, so no deployment failed.
            fail(e, exit_codes.INTERNAL_ERROR, kind=type(e).__name__, error_code=e.error_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            # Output was cut short by its reader (`| head`); the work itself is done and recorded.
            sys.stderr.close()
            raise click.exceptions.Exit(exit_codes.OK) from None
        except KeyboardInterrupt:  # click would print "Aborted!" and exit 1
            fail(KeyboardInterrupt("interrupted (Ctrl-C)"), exit_codes.INTERRUPTED, kind="Interrupted")
        except Exception as e:
            where = log_unexpected(e)
            fail(e, exit_codes.INTERNAL_ERROR, kind="InternalError", log=where)


def _keep_library_logs_off_the_terminal() -> None:
    """Libraries' log records are diagnostics, not messages to the user.

    With no handler of the application's, Python's last-resort handler prints their warnings on
    stderr: azure-identity's report of every credential it tried came out above fabctl's own line.
    A NullHandler on their loggers stops that; the records still reach any handler of the root's.
    """
    for name in ("azure", "msal"):
        library = logging.getLogger(name)
        if not any(isinstance(handler, logging.NullHandler) for handler in library.handlers):
            library.addHandler(logging.NullHandler())


@click.group(cls=FabctlGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=exit_codes.TABLE)
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
    """
    _keep_library_logs_off_the_terminal()


cli.add_command(plan)
cli.add_command(deploy)
cli.add_command(promote)
cli.add_command(audit)
cli.add_command(tx)
cli.add_command(state)
cli.add_command(events)
cli.add_command(emulator)
cli.add_command(completion)
cli.add_command(worker)
cli.add_command(doctor)
cli.add_command(notify)
cli.add_command(rules)
cli.add_command(init)
cli.add_command(schema)


def main() -> None:
    tune_malloc()
    sys.exit(cli.main(prog_name="fabctl", standalone_mode=True))


if __name__ == "__main__":
    main()
