"""`fabctl worker`: the command queue's consumer as a long-running process (Container Apps, AKS with KEDA).

The same handling as the Function app's queue trigger (`entrypoints.messages.handling`), with real
settlement: control.py (when to stop, what was done), settling.py (one message: handle, then
complete, dead-letter or abandon), sessions.py (one receiver taking one session at a time),
run.py (the slots in parallel, signals, the summary).
"""
