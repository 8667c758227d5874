"""`fabctl doctor` and the Function app's `/api/health`: one small module per check, listed in `checks`.

Each check answers pass, fail or skipped with one line of what it saw and, when it failed, one line of
what to do. A check that raises is a failed check naming the error (`run`), never a traceback.
"""
