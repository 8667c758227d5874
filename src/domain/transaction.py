"""The deployment journal: every write to a workspace, with what it replaced and how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from fabctl.domain import events
from fabctl.domain.aggregate import Aggregate
from fabctl.domain.definition import ItemDefinition
from fabctl.domain.errors import DomainError, IllegalTransition
from fabctl.domain.shortcuts import ShortcutWrite
from fabctl.domain.smoke_tests import SmokeResult
from fabctl.domain.value_sets import ValueSetWrite


class TransactionState(StrEnum):
    STARTED = "started"
    COMMITTED = "committed"
    FAILED = "failed"
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_INCOMPLETE = "rollback_incomplete"


class StepAction(StrEnum):
    CREATE_FOLDER = "create_folder"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    MOVE = "move"  # into another folder; the before-image's folder is where it was
    SHORTCUT = "shortcut"  # a lakehouse's OneLake shortcut set, changed or deleted (`TransactionStep.shortcut`)
    PUBLISH = "publish"  # an Environment's staged definition made the published one; no before-image
    ACTIVATE_VALUE_SET = "activate_value_set"  # a Variable Library's active value set (`TransactionStep.value_set`)
    CREATE_CONNECTION = "create_connection"  # a declared connection (item "<name>.Connection"), tenant-wide


class StepOutcome(StrEnum):
    PENDING = "pending"  # intent journaled, outcome not yet known (a crash leaves it so)
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNDONE = "undone"
    UNDO_FAILED = "undo_failed"


UNFINISHED_STATES = frozenset({TransactionState.STARTED, TransactionState.ROLLING_BACK})


class WorkspaceBusy(DomainError):
    """Another transaction holds the workspace's lease: a deployment to it is running."""


class UnfinishedTransaction(DomainError):
    """The workspace has a transaction a crash left unfinished; it must be recovered first."""


_T = TransactionState
TRANSITIONS: dict[TransactionState, frozenset[TransactionState]] = {
    _T.STARTED: frozenset({_T.COMMITTED, _T.FAILED, _T.ROLLING_BACK}),
    _T.FAILED: frozenset({_T.ROLLING_BACK}),
    _T.ROLLING_BACK: frozenset({_T.ROLLED_BACK, _T.ROLLBACK_INCOMPLETE}),
    _T.ROLLBACK_INCOMPLETE: frozenset({_T.ROLLING_BACK}),
    _T.COMMITTED: frozenset(),
    _T.ROLLED_BACK: frozenset(),
}

_S = StepOutcome
STEP_TRANSITIONS: dict[StepOutcome, frozenset[StepOutcome]] = {
    _S.PENDING: frozenset({_S.SUCCEEDED, _S.FAILED}),
    _S.SUCCEEDED: frozenset({_S.UNDONE, _S.UNDO_FAILED}),
    _S.UNDO_FAILED: frozenset({_S.UNDONE, _S.UNDO_FAILED}),
    _S.FAILED: frozenset(),
    _S.UNDONE: frozenset(),
}


@dataclass(frozen=True)
class ItemImage:
    """An item as it was before a step touched it: enough to put it back."""

    item_id: str
    item_type: str
    name: str
    description: str
    folder: str
    definition: ItemDefinition


@dataclass
class TransactionStep:
    number: int
    action: StepAction
    item: str  # "Name.Type"
    item_id: str | None
    before: ItemImage | None
    outcome: StepOutcome = StepOutcome.PENDING
    error: str = ""
    shortcut: ShortcutWrite | None = None  # a SHORTCUT step's before and after
    value_set: ValueSetWrite | None = None  # an ACTIVATE_VALUE_SET step's before and after


@dataclass(frozen=True)
class JournaledInputs:
    """What a deployment read besides its source folder, so that `tx recover --resume` reads it again:
    the configuration and parameter files it was given ("" for the folder's defaults), whether its
    target alone made the configuration (no file: --workspace or --workspace-id), and whether it
    allowed dangling references."""

    config_path: str = ""
    parameter_path: str = ""
    standalone_config: bool = False
    allow_dangling: bool = False


@dataclass
class Transaction(Aggregate):
    id: str
    workspace_id: str
    environment: str
    started_at: datetime
    source_dir: str = ""
    state: TransactionState = TransactionState.STARTED
    steps: list[TransactionStep] = field(default_factory=list)
    ended_at: datetime | None = None
    reason: str = ""
    fabric_url: str = ""  # the Fabric REST base it wrote to ("" = the local Fabric), so recovery reaches it
    resumes: str = ""  # the id of the interrupted transaction this one completes (`tx recover --resume`)
    # What was planned, so `tx recover --resume` completes this deployment and not a wider one:
    # the "Name.Type" of every source item it covered, and of every orphan it was to delete.
    scope: tuple[str, ...] = ()
    deletes: tuple[str, ...] = ()
    actor: str = ""  # who ran it (`--user`, $FABCTL_USER or the OS user; a promotion's approver)
    recovered_by: str = ""  # who ran `tx recover` on it: the events from then on are theirs
    inputs: JournaledInputs = JournaledInputs()  # journals written before it was kept: the defaults
    features: dict[str, bool | None] = field(default_factory=dict)  # the feature flags it ran with
    actor_object_id: str = ""  # the signed-in actor's object id: `actor` is verified; "" = typed, unverified
    recovered_by_object_id: str = ""  # the signed-in recoverer's object id, as `actor_object_id` is the actor's
    smoke_tests: list[SmokeResult] = field(default_factory=list)  # the environment's, after the writes
    warnings: tuple[str, ...] = ()  # what the plan warned of and let through (validation gates at `warning`, ...)

    @classmethod
    def start(
        cls,
        transaction_id: str,
        workspace_id: str,
        environment: str,
        at: datetime,
        source_dir: str = "",
        *,
        actor: str = "",
        actor_object_id: str = "",
    ) -> Transaction:
        tx = cls(
            transaction_id, workspace_id, environment, at, source_dir, actor=actor, actor_object_id=actor_object_id
        )
        tx.record(
            events.DeploymentStarted(transaction_id, workspace_id, environment, actor, actor_object_id=actor_object_id)
        )
        return tx

    @property
    def withholds_events(self) -> bool:
        # Only an explicit off: journals written before the flag (no entry) published, as they still do.
        return self.features.get("publish_events") is False

    @property
    def actor_verified(self) -> bool:
        """Whether `actor` is a signed-in principal (read from its token), not a name someone typed."""
        return bool(self.actor_object_id)

    @property
    def acting(self) -> str:
        """Who causes what happens to it now: its recoverer once recovered, else who ran it."""
        return self.recovered_by or self.actor

    @property
    def subject(self) -> str:
        return f"transaction {self.id}"

    @property
    def unfinished(self) -> bool:
        """Started or rolling back: its process may have died mid-way, leaving the workspace half-changed."""
        return self.state in UNFINISHED_STATES

    def record_intent(
        self,
        action: StepAction,
        item: str,
        item_id: str | None,
        before: ItemImage | None,
        *,
        shortcut: ShortcutWrite | None = None,
        value_set: ValueSetWrite | None = None,
    ) -> TransactionStep:
        """Journal a write before it is made (write-ahead)."""
        self._require_state(TransactionState.STARTED, "record a step in")
        step = TransactionStep(
            len(self.steps) + 1, action, item, item_id, before, shortcut=shortcut, value_set=value_set
        )
        self.steps.append(step)
        return step

    def record_success(self, number: int, item_id: str) -> None:
        step = self._step(number, StepOutcome.SUCCEEDED)
        step.item_id = item_id
        self.record(
            events.ItemDeployed(
                self.id, step.item, step.action.value, item_id, self.acting, workspace_id=self.workspace_id
            )
        )

    def record_failure(self, number: int, error: str) -> None:
        self._step(number, StepOutcome.FAILED).error = error

    def record_smoke_test(self, result: SmokeResult) -> None:
        """A smoke test's result, once the writes are done and before the transaction ends."""
        self._require_state(TransactionState.STARTED, "record a smoke test in")
        self.smoke_tests.append(result)
        if result.passed:
            passed = events.SmokeTestPassed(
                self.id, self.workspace_id, result.check, result.item, result.job_instance_id, self.acting
            )
            self.record(passed)
        else:
            failed = events.SmokeTestFailed(
                self.id, self.workspace_id, result.check, result.item, result.job_instance_id, result.detail,
                self.acting,
            )  # fmt: skip
            self.record(failed)

    @property
    def failed_smoke_test(self) -> SmokeResult | None:
        return next((r for r in self.smoke_tests if not r.passed), None)

    def commit(self, at: datetime) -> None:
        self._require_state(TransactionState.STARTED, "commit")
        unfinished = [s.number for s in self.steps if s.outcome is not StepOutcome.SUCCEEDED]
        if unfinished:
            raise IllegalTransition(
                f"cannot commit with steps {unfinished} not succeeded", subject=self.subject, field="steps"
            )
        self._move(TransactionState.COMMITTED, at)
        self.record(events.TransactionCommitted(self.id, self.workspace_id, len(self.steps), self.acting))

    def fail(self, reason: str, at: datetime) -> None:
        self._move(TransactionState.FAILED, at)
        self.reason = reason
        self.record(events.DeploymentFailed(self.id, reason, self.acting, workspace_id=self.workspace_id))

    def begin_rollback(self) -> list[TransactionStep]:
        """Enter rollback; returns the steps to undo, most recent first."""
        self._move(TransactionState.ROLLING_BACK, None)
        return [s for s in reversed(self.steps) if s.outcome in (_S.SUCCEEDED, _S.UNDO_FAILED)]

    def steps_to_undo(self) -> list[TransactionStep]:
        """While rolling back (say, again after a crash): the steps not yet undone, most recent first."""
        self._require_state(TransactionState.ROLLING_BACK, "continue the rollback of")
        return [s for s in reversed(self.steps) if s.outcome in (_S.SUCCEEDED, _S.UNDO_FAILED)]

    @property
    def pending_steps(self) -> list[TransactionStep]:
        """Steps whose intent was journaled but not their outcome: a crash hit them mid-write."""
        return [s for s in self.steps if s.outcome is StepOutcome.PENDING]

    def record_undone(self, number: int) -> None:
        self._step(number, StepOutcome.UNDONE)

    def record_undo_failure(self, number: int, error: str) -> None:
        self._step(number, StepOutcome.UNDO_FAILED).error = error

    def finish_rollback(self, at: datetime) -> None:
        left = tuple(s.number for s in self.steps if s.outcome in (_S.SUCCEEDED, _S.UNDO_FAILED))
        if left:
            self._move(TransactionState.ROLLBACK_INCOMPLETE, at)
            self.record(events.RollbackIncomplete(self.id, self.workspace_id, left, self.acting))
        else:
            self._move(TransactionState.ROLLED_BACK, at)
            self.record(events.TransactionRolledBack(self.id, self.workspace_id, self.acting))

    def _step(self, number: int, outcome: StepOutcome) -> TransactionStep:
        if not 1 <= number <= len(self.steps):
            raise IllegalTransition(f"has no step {number}", subject=self.subject, field="steps")
        step = self.steps[number - 1]
        if outcome not in STEP_TRANSITIONS[step.outcome]:
            raise IllegalTransition(
                f"step {number} is {step.outcome.value} and cannot become {outcome.value}",
                subject=self.subject,
                field=f"steps[{number}].outcome",
            )
        step.outcome = outcome
        return step

    def _require_state(self, state: TransactionState, verb: str) -> None:
        if self.state is not state:
            raise IllegalTransition(
                f"cannot {verb} a transaction that is {self.state.value}", subject=self.subject, field="state"
            )

    def _move(self, target: TransactionState, at: datetime | None) -> None:
        if target not in TRANSITIONS[self.state]:
            raise IllegalTransition(
                f"cannot go from {self.state.value} to {target.value}", subject=self.subject, field="state"
            )
        self.state = target
        if at is not None:
            self.ended_at = at
