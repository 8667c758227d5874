"""workspace-config.yaml and parameter.yml parse, as `plan` and `deploy` would read them."""

from __future__ import annotations

from fabctl.domain.errors import DomainError
from fabctl.entrypoints.doctor.context import DoctorContext
from fabctl.entrypoints.doctor.outcome import Outcome, failed, passed


def check_configuration(context: DoctorContext) -> Outcome:
    from fabctl.adapters.source.git_folder import FabricGitFolderReader

    reader = FabricGitFolderReader()
    config, parameters = context.config_file(), context.parameter_file()
    try:
        context.release = reader.read_release_config(str(config))
        rules = reader.read_parameters(str(parameters), required=bool(context.parameter_path))
    except DomainError as e:
        problems = "; ".join(line.strip() for line in str(e).splitlines())  # every problem, on one line
        return failed(problems, "correct the file at the field the message names")
    names = ", ".join(env.name for env in context.release.environments)
    found = f"{parameters} parsed" if parameters.exists() else f"no {parameters.name} (no parameter rules)"
    del rules  # parsed to be checked; the doctor needs nothing of it
    return passed(f"{config}: environments {names}; {found}")
