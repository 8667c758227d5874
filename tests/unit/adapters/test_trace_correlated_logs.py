"""Log records made inside a span carry its trace and span ids (as hex, the way OTLP and Application Insights
show them); outside any span they carry empty ones; removing the correlation leaves records as they were."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from otel_capture import captured

from fabctl.adapters.telemetry.logs import TraceCorrelation


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_records_in_a_span_carry_its_ids() -> None:
    capture, kept, logger = captured(), Kept(), logging.getLogger("fabctl.test.correlation")
    # Its own level, enabled, not propagating: what other tests in this process did to the logging tree
    # (the CLI's and the worker's set-up run in-process elsewhere) must not decide whether it records.
    logger.setLevel(logging.DEBUG)
    logger.disabled, logger.propagate = False, False
    logger.addHandler(kept)
    correlation = TraceCorrelation()
    try:
        with capture.telemetry.span("fabctl.deploy"):
            logger.warning("inside")
        logger.warning("outside")
    finally:
        correlation.remove()
        logger.removeHandler(kept)
    logger.addHandler(kept)
    logger.warning("after")
    logger.removeHandler(kept)

    [span] = capture.spans()
    inside, outside, after = kept.records
    assert (inside.trace_id, inside.span_id) == (f"{span.context.trace_id:032x}", f"{span.context.span_id:016x}")  # type: ignore[attr-defined]
    assert (outside.trace_id, outside.span_id) == ("", "")  # type: ignore[attr-defined]
    assert not hasattr(after, "trace_id")


PROGRAM = """
import logging
from fabctl.adapters.telemetry.logs import export_logs

class Sink(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())

sink = Sink()
logging.getLogger("azure").addHandler(logging.NullHandler())  # as the CLI keeps libraries off the terminal
remove = export_logs(sink)
logging.getLogger("fabctl.relay").warning("fabctl warns")
logging.getLogger("azure.identity").warning("azure warns")
logging.getLogger("fabctl.relay").info("fabctl informs")
remove()
logging.getLogger("fabctl.relay").warning("after")
print(sink.messages)
"""


def test_exporting_logs_keeps_what_the_terminal_showed_before(tmp_path: Path) -> None:
    # A process of its own: pytest puts handlers on the root logger, and the last resort is for a root without.
    done = subprocess.run([sys.executable, "-c", PROGRAM], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(["fabctl warns", "azure warns", "fabctl informs"])  # all exported
    assert done.stderr.splitlines() == ["fabctl warns", "after"]  # the terminal: as without the export
