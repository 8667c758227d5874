"""Route templates, how a path finds its route, and `Call`: what a route handler works with."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fabctl.adapters.fabric.tenant import FabricTenant
from fabctl.entrypoints.emulator.jobs import JobStore
from fabctl.entrypoints.emulator.messages import Request, Response, bad_request
from fabctl.entrypoints.emulator.operations import FAILED_ERROR, OperationStore, accepted
from fabctl.entrypoints.emulator.options import EmulatorOptions

Handler = Callable[["Call"], Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # e.g. "/v1/workspaces/{workspaceId}/items"; also the key of the request log
    handler: Handler
    may_be_lro: bool = False  # the failed-operation fault can only hit routes that may answer 202
    polls_operation: bool = False  # `{operationId}` names an operation: an early poll is refused (operations.py)

    def match(self, method: str, segments: Sequence[str]) -> dict[str, str] | None:
        expected = self.template.strip("/").split("/")
        if method != self.method:
            return None
        params: dict[str, str] = {}
        if expected[-1].endswith("*}"):  # `{name*}` takes the rest of the path, slashes and case kept
            if len(segments) < len(expected):
                return None
            params[expected[-1][1:-2]] = "/".join(segments[len(expected) - 1 :])
            expected, segments = expected[:-1], segments[: len(expected) - 1]
        if len(segments) != len(expected):
            return None
        for want, got in zip(expected, segments, strict=True):
            if want.startswith("{"):
                params[want[1:-1]] = got.lower()  # ids are lower-case GUIDs
            elif want.casefold() != got.casefold():  # Fabric's paths are case-insensitive
                return None
        return params


class Router:
    def __init__(self, routes: Sequence[Route]) -> None:
        self._routes = tuple(routes)

    @property
    def routes(self) -> tuple[Route, ...]:
        return self._routes

    def find(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        # fabric-cicd sometimes adds a trailing slash (`.../environments/`): it names the same resource.
        segments = [s for s in path.strip("/").split("/") if s]
        for route in self._routes:
            params = route.match(method, segments)
            if params is not None:
                return route, params
        return None


class Call:
    """One routed API request, with the tenant and the knobs in force when it arrived."""

    def __init__(
        self,
        request: Request,
        params: Mapping[str, str],
        *,
        tenant: FabricTenant,
        options: EmulatorOptions,
        operations: OperationStore,
        chance: Callable[[float], bool],
        fail_operation: bool = False,
        jobs: JobStore | None = None,
    ) -> None:
        self.request = request
        self.params = params
        self.tenant = tenant
        self.options = options
        self.operations = operations
        self._chance = chance
        self._fail_operation = fail_operation
        self.jobs = jobs if jobs is not None else JobStore()
        self.failed_operation_applied = False

    def __getitem__(self, name: str) -> str:
        return self.params[name]

    def chance(self, probability: float) -> bool:
        """True with `probability`, from the emulator's seeded dice."""
        return self._chance(probability)

    def body(self, *, required: bool = True) -> dict[str, Any]:
        """The JSON object sent. Bodies of routes that need none are parsed only to refuse bad JSON:
        fabric-cicd sends the JSON string "{}" with every request."""
        parsed = self.request.json()
        if isinstance(parsed, dict):
            return parsed
        if required:
            raise bad_request("The request body must be a JSON object")
        return {}

    def eventually(
        self,
        work: Callable[[], Any],
        now: Callable[[Any], Response],
        *,
        eligible: bool = True,
        retry_after_s: int = 0,
    ) -> Response:
        """Answer at once with `now(result)`, or 202 and a long-running operation.

        `eligible`: Fabric may answer this request 202; `--lro-share` of the eligible ones are.
        `work` runs before the 202 (so refusals stay synchronous and the change is durable at once);
        the operation's result is what `work` returned (None: the operation has no result). An
        injected failed-operation fault skips `work`: a failed operation changed nothing.
        `retry_after_s` is the least Retry-After the operation asks for (see operations.py).
        """
        lro = eligible and self._chance(self.options.lro_share)
        duration = self.options.lro_ms / 1000
        if lro and self._fail_operation:
            self.failed_operation_applied = True
            failed = self.operations.start(duration, error=FAILED_ERROR, retry_floor=retry_after_s)
            return accepted(failed, self.request.base_url)
        result = work()
        if not lro:
            return now(result)
        operation = self.operations.start(duration, result=result, retry_floor=retry_after_s)
        return accepted(operation, self.request.base_url)


def required_text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise bad_request(f"The {name} field is required and must be a string.")
    return value


def optional_text(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"The {name} field must be a string.")
    return value


def flag(query: Mapping[str, str], name: str) -> bool:
    """Boolean query parameters arrive as `true` or `True`."""
    return query.get(name, "").strip().lower() == "true"


def optional_id(body: Mapping[str, Any], name: str) -> str | None:
    """An id from a body, lower-cased as Fabric's GUIDs are (clients may send upper case).

    An empty string counts as absent: fabric-cicd sends `"folderId": ""` (and `"targetFolderId": ""`)
    for the workspace root, which the real service accepts.
    """
    value = optional_text(body, name)
    return value.lower() if value else None
