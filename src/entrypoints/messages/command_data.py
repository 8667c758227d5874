"""The `data` of each command message kind, validated with pydantic: what a sender may say, and nothing else.

No model has a field naming who acts: the actor comes from where the sender is authenticated (an
application property set by a trusted sender, or the HTTP API's verified principal), never from the body.
Unknown fields are refused (`extra="forbid"`), so a misspelt option cannot be silently ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fabctl.domain.commands import DEFAULT_WORKERS

Text = Field(min_length=1, max_length=1024)
Id = Field(min_length=1, max_length=200)
Names = tuple[str, ...]


class CommandData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class RequestPromotionData(CommandData):
    source_dir: str = Text
    source_environment: str = Text
    target_environment: str = ""
    items: Names = ()
    note: str = Field("", max_length=4000)
    config_path: str = ""


class ApprovePromotionData(CommandData):
    request_id: str = Id
    comment: str = Field("", max_length=4000)


class RejectPromotionData(CommandData):
    request_id: str = Id
    reason: str = Field(min_length=1, max_length=4000)


class CancelPromotionData(CommandData):
    request_id: str = Id


class ExecuteDeploymentData(CommandData):
    source_dir: str = Text
    environment: str = Text
    config_path: str = ""
    parameter_path: str = ""
    on_error: Literal["", "stop", "continue", "rollback"] = ""
    delete_orphans: bool = False
    items: Names = ()
    item_types: Names = ()
    folders: Names = ()
    exclude: Names = ()
    with_dependencies: bool = False
    delete_data_items: Names = ()
    refresh: bool = False
    max_workers: int = Field(DEFAULT_WORKERS, ge=1, le=256)
    allow_dangling: bool = False


class RecoverTransactionData(CommandData):
    transaction_id: str = Id
    mode: Literal["rollback", "resume"]
    config_path: str = ""
    parameter_path: str = ""
    force: bool = False
