"""Source readers: what users keep in git, read into the domain.

- `git_folder.FabricGitFolderReader`: item folders in Fabric git integration format, plus
  `workspace-config.yaml` and fabric-cicd's `parameter.yml` (parsed in `config_files`).
- `memory.InMemorySourceReader`: the same port over workspaces and configurations held in memory.
"""
