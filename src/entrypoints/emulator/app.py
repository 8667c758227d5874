"""`EmulatorApp`: one request in, one response out (or a dropped connection), socket-free.

The order of what happens to an API request, which the docs and tests rely on:
throttle verdict and early-poll verdict (on arrival) -> latency -> 429 if throttled -> 429 if an early
poll -> injected fault -> route -> handler.
Admin requests (`/_emulator/*`) skip all of it: no throttling, faults, latency or logging.
Once a throttle's 429 is written, the server says so (`delivered`): what it told the client is what
`earlyRetries` holds the client to (early.py). An early poll's 429 concerns its operation only.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from fabctl.adapters.fabric.tenant import FabricTenant, TenantError
from fabctl.entrypoints.emulator import admin, graph_routes
from fabctl.entrypoints.emulator.early import EarlyRequests
from fabctl.entrypoints.emulator.faults import Dice, Throttle, TokenAges, blocked_message, principal_of
from fabctl.entrypoints.emulator.graph_directory import GraphDirectoryState
from fabctl.entrypoints.emulator.jobs import JobStore
from fabctl.entrypoints.emulator.messages import ApiError, Request, Response, not_found_route
from fabctl.entrypoints.emulator.operations import OperationStore
from fabctl.entrypoints.emulator.options import EmulatorOptions
from fabctl.entrypoints.emulator.request_log import RequestLog
from fabctl.entrypoints.emulator.router import Call, Route, Router
from fabctl.entrypoints.emulator.routes import fabric_router
from fabctl.entrypoints.emulator.token_check import TokenCheck

log = logging.getLogger(__name__)

RESERVED_NAME_CODE = "ItemDisplayNameNotAvailableYet"


class EmulatorApp:
    def __init__(
        self,
        tenant: FabricTenant,
        options: EmulatorOptions,
        router: Router | None = None,
        operations: OperationStore | None = None,
    ) -> None:
        self.tenant = tenant
        self._options = options
        self._options_lock = threading.Lock()
        self._router = router or fabric_router()
        self.operations = operations or OperationStore()
        self.jobs = JobStore()  # item job instances (job_routes.py)
        self.throttle = Throttle()
        self.early = EarlyRequests()
        self.tokens = TokenAges()
        self.dice = Dice(options.seed)
        self.log = RequestLog()
        self.token_check = TokenCheck(options.token_authority) if options.token_authority else None
        self.graph = GraphDirectoryState()  # the directory behind /graph/v1.0 (graph_routes.py)

    @property
    def options(self) -> EmulatorOptions:
        with self._options_lock:
            return self._options

    def configure(self, changes: dict[str, Any]) -> EmulatorOptions:
        """Apply runtime knob changes (ValueError if invalid); a new seed restarts the dice."""
        with self._options_lock:
            self._options = self._options.with_changes(changes)
            if "seed" in changes:
                self.dice.reseed(self._options.seed)
            return self._options

    def reset(self) -> None:
        """An empty tenant and fresh counters; the options stay, the dice restart from the seed."""
        self.tenant.clear()
        self.operations.clear()
        self.jobs.clear()
        self.throttle.clear()
        self.early.clear()
        self.tokens.clear()
        self.log.clear()
        self.graph.clear()
        self.dice.reseed(self.options.seed)

    def handle(self, request: Request) -> Response | None:
        """The response to send, or None to drop the connection without one (the reset fault)."""
        request_id = str(uuid.uuid4())
        try:
            if request.path.startswith(admin.PREFIX):
                response: Response | None = admin.handle(self, request)
            elif request.path.startswith(graph_routes.PREFIX):  # Graph's own knobs, not Fabric's
                response = graph_routes.handle(self.graph, request)
            else:
                response = self._api(request, request_id)
        except ApiError as e:
            response = e.response(request_id)
        except Exception:  # a bug here must still answer, as Fabric's 500 does
            log.exception("unexpected error serving %s %s", request.method, request.path)
            response = ApiError(500, "UnknownError", "An unexpected error occurred").response(request_id)
        if response is not None:  # a Power BI refresh answers with its own RequestId: the refresh's (refresh_routes)
            response.headers.setdefault("RequestId", request_id)
        return response

    def _api(self, request: Request, request_id: str) -> Response | None:
        options = self.options
        refusal = self.token_check.refusal(request.header("Authorization")) if self.token_check else None
        if refusal is not None:  # Fabric checks the token before anything else: no quota, no fault
            self.log.record(f"{request.method} (unauthorized)", refusal.status, fault=None, early_retry_by=None)
            return refusal.response(request_id)
        principal = principal_of(request.header("Authorization"))
        verdict = self.throttle.check(principal, options.throttle_rpm, options.throttle_window_s)
        early = self.early.is_early(principal, request.connection, request.arrived_at or time.monotonic())
        fresh_token = self.tokens.is_fresh(request.header("Authorization"))
        found = self._router.find(request.method, request.path)
        route_key = f"{request.method} {found[0].template if found else '(no route)'}"
        early_poll = None
        if options.refuse_early_polls and found is not None and found[0].polls_operation:
            early_poll = self.operations.early_poll_wait(found[1]["operationId"])
        if options.latency_ms:
            time.sleep(options.latency_ms / 1000)

        fault: str | None = None
        response: Response | None
        if verdict.retry_after is not None:
            response = _blocked(verdict.retry_after, request_id)
            early_poll = None  # refused for its principal's quota: that is what it counts as
        elif early_poll is not None:
            response = _blocked(early_poll, request_id)
            response.operation_wait = True
        else:
            may_fail_operation = found is not None and found[0].may_be_lro
            kinds = [
                k
                for k in options.fault_kinds
                if (k != "failed-operation" or may_fail_operation) and (k != "token-expired" or not fresh_token)
            ]
            fault = self.dice.fault(options.fault_rate, kinds, options.fault_weights)
            response, fault = self._faulted_or_served(request, request_id, found, options, fault)

        status = None if response is None else response.status
        self.log.record(
            route_key,
            status,
            fault=fault,
            early_retry_by=principal if early else None,
            blocked=verdict.blocked,
            early_poll=early_poll is not None,
        )
        return response

    def delivered(self, request: Request, response: Response, written_at: float) -> None:
        """`response` to `request` was written, starting at `written_at` (monotonic): a 429's wait starts
        then, as no client can have read it earlier."""
        if response.status != 429 or response.operation_wait or request.path.startswith(admin.PREFIX):
            return
        try:
            wait = float(response.headers.get("Retry-After", ""))
        except ValueError:
            return
        self.early.told(principal_of(request.header("Authorization")), request.connection, written_at, wait)

    def _faulted_or_served(
        self,
        request: Request,
        request_id: str,
        found: tuple[Route, dict[str, str]] | None,
        options: EmulatorOptions,
        fault: str | None,
    ) -> tuple[Response | None, str | None]:
        if fault == "reset":
            return None, fault
        if fault == "500":
            error = ApiError(500, "UnknownError", "An unexpected error occurred while processing the request")
            return error.response(request_id), fault
        if fault == "token-expired":
            return ApiError(401, "TokenExpired", "Access token has expired").response(request_id), fault
        if found is None:
            return not_found_route(request.method, request.path).response(request_id), None
        route, params = found
        call = Call(
            request,
            params,
            tenant=self.tenant,
            options=options,
            operations=self.operations,
            chance=self.dice.chance,
            fail_operation=fault == "failed-operation",
            jobs=self.jobs,
        )
        try:
            response = route.handler(call)
        except TenantError as e:
            # The reference leaves 400 vs 409 open for a still-reserved name: the knob picks.
            status = options.reserved_name_status if e.error_code == RESERVED_NAME_CODE else None
            response = ApiError.from_tenant(e, status).response(request_id)
        except ApiError as e:
            response = e.response(request_id)
        # A failed-operation pick on a request that stayed synchronous did nothing: not a fault.
        return response, fault if fault != "failed-operation" or call.failed_operation_applied else None


def _blocked(retry_after: int, request_id: str) -> Response:
    """The throttle's 429: a principal over its quota, or a poll sooner than its operation asked (ADR 0029)."""
    headers = {"Retry-After": str(retry_after)}
    return ApiError(429, "RequestBlocked", blocked_message(retry_after), headers=headers).response(request_id)
