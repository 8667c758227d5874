"""What a promotion rule's `validations` name, and what requiring one means.

A rule names the checks an item of its type must pass before it is deployed into the environment the
rule belongs to. Requiring a check means the validation gate of that environment runs it as an
`error`: a finding then refuses the deployment. A required check that the environment sets to
`warning` or `off` would let the item through unchecked, so the promotion is refused instead.

The names are the templates' (`notebook-compiles`, ...); the gate's own check names are taken too.
`pipeline-references-exist` is the dangling-reference check, which always refuses (it has no level).
"""

from __future__ import annotations

from fabctl.domain.validation.findings import (
    CHECKS,
    FORBIDDEN_VALUES,
    NOTEBOOKS_COMPILE,
    SECRETS,
    SEMANTIC_MODELS_PARSE,
    Level,
    ValidationSettings,
)

ALWAYS_ON = ""  # a required validation no setting can weaken
REQUIRABLE: dict[str, str] = {
    "notebook-compiles": NOTEBOOKS_COMPILE,
    "semantic-model-parses": SEMANTIC_MODELS_PARSE,
    "no-foreign-environment-values": FORBIDDEN_VALUES,
    "no-secret-literals": SECRETS,
    "pipeline-references-exist": ALWAYS_ON,
    **{check: check for check in CHECKS},
}


def check_of(name: str) -> str:
    """The gate check a required validation names ("" for one that is always on); KeyError if none."""
    return REQUIRABLE[name]


def weakened(name: str, settings: ValidationSettings) -> Level | None:
    """The level below `error` at which `settings` run the required validation `name`; None when it is enforced."""
    check = check_of(name)
    if check == ALWAYS_ON:
        return None
    level = settings.level(check)
    return None if level is Level.ERROR else level


def requiring(names: tuple[str, ...], check: str) -> str:
    """The first of a rule's required validations `names` that is the gate check `check`; "" when none is."""
    return next((name for name in names if REQUIRABLE.get(name) == check), "")
