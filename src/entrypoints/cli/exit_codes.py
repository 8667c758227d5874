"""Distinct exit codes, so CI can tell a user's mistake from a failed deployment."""

OK = 0
INTERNAL_ERROR = 1  # a bug: the traceback is in the log file
USER_ERROR = 2  # bad input, configuration or request; nothing was changed
DEPLOYMENT_FAILED = 3  # Fabric refused or failed a write; the transaction says what was done
