"""Log records correlated with traces: each stdlib `LogRecord` made inside a span carries `trace_id` and
`span_id` (hex, as Application Insights and OTLP show them; "" outside any span), and, when exporting, an
OpenTelemetry handler on the root logger sends the records with their trace context."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TextIO

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


class KeptLastResort(logging.Handler):
    """What Python's last resort did before a handler sat on the root logger: a WARNING or worse from a logger
    whose chain has no handler of its own is printed on stderr, as the bare message.

    With the export's handler on the root, the last resort is never reached, and fabctl's own warnings would
    vanish from the terminal; libraries given a NullHandler (main.py) stay off it, as before."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None and logger is not logging.getLogger():
            if logger.handlers:
                return  # that chain has a handler: the last resort would not have been used
            logger = logger.parent if logger.propagate else None
        if logging.lastResort is not None:
            logging.lastResort.handle(record)


def export_logs(handler: logging.Handler) -> Callable[[], None]:
    """Send the root logger's records at INFO and above through `handler`; returns what takes it off."""
    root = logging.getLogger()
    handler.setLevel(logging.INFO)
    kept = KeptLastResort() if not root.handlers else None
    if kept is not None:
        root.addHandler(kept)
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        previous = root.level
        root.setLevel(logging.INFO)
    else:
        previous = None

    def remove() -> None:
        root.removeHandler(handler)
        if kept is not None:
            root.removeHandler(kept)
        if previous is not None:
            root.setLevel(previous)

    return remove


# The exporters' own loggers: what they say about an export is not sent by the same exporters (a failing
# export would log, that record would be exported, and fail again), and it is not the user's to read as such.
EXPORTER_LOGGERS = ("opentelemetry", "azure.monitor.opentelemetry")


class ExportProblems(logging.Handler):
    """Takes the exporters' own log records off the terminal and out of the export, and says once, on
    `stream`, that telemetry could not be exported (the SDK's text is not repeated: it may name hosts)."""

    def __init__(self, kind: str, stream: TextIO) -> None:
        super().__init__(logging.WARNING)
        self._kind = kind
        self._stream = stream
        self.reported = 0
        self._loggers = [logging.getLogger(name) for name in EXPORTER_LOGGERS]
        self._propagated = [each.propagate for each in self._loggers]
        for each in self._loggers:
            each.addHandler(self)
            each.propagate = False

    def emit(self, record: logging.LogRecord) -> None:
        self.reported += 1
        if self.reported == 1:
            self._stream.write(
                f"fabctl: telemetry could not be exported ({self._kind}); this run's traces, metrics or logs "
                "may be missing (check the exporter's endpoint settings)\n"
            )

    def remove(self) -> None:
        for each, propagated in zip(self._loggers, self._propagated, strict=True):
            each.removeHandler(self)
            each.propagate = propagated
