"""Every check that applies to one item, over its bound definition: the findings, by check."""

from __future__ import annotations

from fabctl.domain.definition import ItemDefinition
from fabctl.domain.validation.findings import (
    FORBIDDEN_VALUES,
    NOTEBOOKS_COMPILE,
    SECRETS,
    SEMANTIC_MODELS_PARSE,
    Finding,
    Level,
    ValidationSettings,
)
from fabctl.domain.validation.forbidden import forbidden_findings
from fabctl.domain.validation.notebooks import NOTEBOOK_PART, notebook_findings
from fabctl.domain.validation.secrets import secret_findings
from fabctl.domain.validation.semantic_models import BIM_PART, bim_findings, is_tmdl, tmdl_findings
from fabctl.domain.value_sets import VALUE_SET_HOLDER


def check_definition(
    item_type: str, source_path: str, definition: ItemDefinition, settings: ValidationSettings
) -> list[Finding]:
    """The findings of the checks `settings` does not turn off; each part's text is read once."""
    on = {c for c in (NOTEBOOKS_COMPILE, SEMANTIC_MODELS_PARSE, FORBIDDEN_VALUES, SECRETS)
          if settings.level(c) is not Level.OFF}  # fmt: skip
    found: list[Finding] = []
    for part in definition.content_parts:
        text = part.text
        if text is None:
            continue  # binary (an image): none of the checks reads it
        path = f"{source_path}/{part.path}" if source_path else part.path
        if NOTEBOOKS_COMPILE in on and item_type == "Notebook" and part.path == NOTEBOOK_PART:
            found += notebook_findings(path, text)
        if SEMANTIC_MODELS_PARSE in on and item_type == "SemanticModel":
            if part.path == BIM_PART:
                found += bim_findings(path, text)
            elif is_tmdl(part.path):
                found += tmdl_findings(path, text)
        # A Variable Library holds every environment's values by design (the value sets): not forbidden.
        if FORBIDDEN_VALUES in on and settings.forbidden and item_type != VALUE_SET_HOLDER:
            found += forbidden_findings(path, text, settings.forbidden)
        if SECRETS in on:
            found += secret_findings(path, text)
    return found
