"""Distinct exit codes, so CI can tell a user's mistake from a failed deployment (ADR 20).

Every command follows this one table; the top-level help prints `TABLE`.
"""

OK = 0
INTERNAL_ERROR = 1  # not the user's input and no deployment: a bug (traceback in the log), or Fabric
# failing a call that was not a deployment's write (the message names the call), or Service Bus refusing
# or unreachable for `events relay`
USER_ERROR = 2  # bad input, configuration, credentials or request; nothing was changed
DEPLOYMENT_FAILED = 3  # a deployment ran and failed; its transaction records what was done
CHANGES_PENDING = 4  # `plan --detailed-exitcode` only: the plan would change the workspace
INTERRUPTED = 130  # SIGINT (Ctrl-C): 128 + 2, the shells' convention
TERMINATED = 143  # SIGTERM: 128 + 15

TABLE = """\b
Exit codes:
  0    success (plan --detailed-exitcode: nothing would change)
  1    internal error (traceback in fabctl.log in the state directory), or
       Fabric unreachable or failing a call outside a deployment's writes,
       or Service Bus refusing or unreachable (events relay)
  2    user error: bad input, configuration, credentials or request, or
       Fabric refusing fabctl's identity (401, 403); nothing was changed
  3    a deployment failed (deploy, promote approve, tx recover, tx revert):
       its transaction records what was done (fabctl tx show ID)
  4    plan --detailed-exitcode: changes pending
  130  interrupted by Ctrl-C (SIGINT)
  143  stopped by SIGTERM"""
