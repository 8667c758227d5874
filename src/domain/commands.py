"""Commands: requests, in the imperative, that exactly one handler carries out.

Every command carries a `message_id`; handlers are idempotent on it, because a message bus
(Service Bus) may deliver the same message twice.
"""

from __future__ import annotations

from dataclasses import dataclass

# Items deployed at once. Most of an item's time is Fabric running its long operation while its
# worker only waits, so many workers cost little; Fabric's throttling (429 + Retry-After) is obeyed
# by all of them together. See docs/adr/0012-deployment-speed.md.
DEFAULT_WORKERS = 64


@dataclass(frozen=True)
class Command:
    message_id: str


@dataclass(frozen=True)
class ExecuteDeployment(Command):
    source_dir: str
    environment: str
    requested_by: str
    config_path: str = ""
    parameter_path: str = ""
    actor_object_id: str = ""  # a signed-in actor's object id ("" = requested_by was typed: unverified)
    on_error: str = ""  # stop | continue | rollback; "" = rollback if protected, else stop
    delete_orphans: bool = False
    items: tuple[str, ...] = ()  # "Name.Type" or name, exact or a regex (full match); () means every item
    item_types: tuple[str, ...] = ()  # item types, exact or regex; () means every type
    folders: tuple[str, ...] = ()  # folder paths (subfolders included), exact or regex; () means everywhere
    exclude: tuple[str, ...] = ()  # "Name.Type", name, type or folder path, exact or regex
    with_dependencies: bool = False  # also deploy what the selected items reference, transitively
    delete_data_items: tuple[str, ...] = ()  # "Name.Type" orphans holding data that may be deleted
    refresh: bool = False  # compare with live definitions instead of what fabctl recorded (finds drift)
    max_workers: int = DEFAULT_WORKERS  # items deployed at once
    allow_dangling: bool = False  # a reference to an item neither deployed nor in the target only warns


@dataclass(frozen=True)
class RequestPromotion(Command):
    source_dir: str
    source_environment: str
    requested_by: str
    target_environment: str = ""  # "" means the next environment after the source
    items: tuple[str, ...] = ()  # "Name.Type" keys; () means every item
    note: str = ""
    config_path: str = ""
    actor_object_id: str = ""  # as ExecuteDeployment's
    change: str = ""  # the change reference (--change), matched against the rules' change_pattern
    emergency: bool = False  # asked during a freeze window: needs the emergency approvers' approval


@dataclass(frozen=True)
class ApprovePromotion(Command):
    request_id: str
    approver: str
    comment: str = ""
    actor_object_id: str = ""  # as ExecuteDeployment's


@dataclass(frozen=True)
class RejectPromotion(Command):
    request_id: str
    rejected_by: str
    reason: str
    actor_object_id: str = ""  # as ExecuteDeployment's


@dataclass(frozen=True)
class CancelPromotion(Command):
    request_id: str
    cancelled_by: str
    actor_object_id: str = ""  # as ExecuteDeployment's


@dataclass(frozen=True)
class DeployPromotion(Command):
    """Issued when a promotion is fully approved: deploy its items to the target environment."""

    request_id: str


@dataclass(frozen=True)
class RecoverTransaction(Command):
    """Finish a transaction a crash left unfinished: undo what it did, or complete the deployment."""

    transaction_id: str
    mode: str  # rollback | resume
    requested_by: str = ""
    config_path: str = ""  # resume: the workspace config [default: SOURCE_DIR/workspace-config.yaml]
    parameter_path: str = ""  # resume: the parameter file [default: SOURCE_DIR/parameter.yml]
    force: bool = False  # take over the transaction's own lease although it has not run out yet
    actor_object_id: str = ""  # as ExecuteDeployment's (kept on the resuming transaction)
