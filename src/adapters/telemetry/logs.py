"""Log records correlated with traces: each stdlib `LogRecord` made inside a span carries `trace_id` and
`span_id` (hex, as Application Insights and OTLP show them; "" outside any span), and, when exporting, an
OpenTelemetry handler on the root logger sends the records with their trace context."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from opentelemetry import trace

_Factory = Callable[..., logging.LogRecord]


class TraceCorrelation:
    """Installs a log record factory that stamps the current span's ids; `remove()` puts the old one back."""

    def __init__(self) -> None:
        self._previous: _Factory = logging.getLogRecordFactory()
        previous = self._previous

        def stamped(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            context = trace.get_current_span().get_span_context()
            valid = context.is_valid
            record.trace_id = format(context.trace_id, "032x") if valid else ""
            record.span_id = format(context.span_id, "016x") if valid else ""
            return record

        self._stamped = stamped
        logging.setLogRecordFactory(stamped)

    def remove(self) -> None:
        if logging.getLogRecordFactory() is self._stamped:
            logging.setLogRecordFactory(self._previous)


def export_logs(handler: logging.Handler) -> Callable[[], None]:
    """Send the root logger's records at INFO and above through `handler`; returns what takes it off."""
    root = logging.getLogger()
    handler.setLevel(logging.INFO)
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        previous = root.level
        root.setLevel(logging.INFO)
    else:
        previous = None

    def remove() -> None:
        root.removeHandler(handler)
        if previous is not None:
            root.setLevel(previous)

    return remove
