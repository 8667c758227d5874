"""Log records made inside a span carry its trace and span ids (as hex, the way OTLP and Application Insights
show them); outside any span they carry empty ones; removing the correlation leaves records as they were."""

from __future__ import annotations

import logging

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
