"""`fabctl completion SHELL`: click's own shell completion, as a script to install once."""

from __future__ import annotations

import click

PROG_NAME = "fabctl"
# What click's `main()` reads to answer a completion request: `_<PROG_NAME>_COMPLETE`.
COMPLETE_VAR = "_FABCTL_COMPLETE"


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the script that completes fabctl's commands and options in SHELL.

    The script asks fabctl itself what can come next, so it stays right as fabctl changes.
    Install it once, then open a new shell:

    \b
      bash 4.4 or later: add this line to ~/.bashrc
        eval "$(fabctl completion bash)"
      or save the script where bash-completion looks:
        fabctl completion bash > ~/.local/share/bash-completion/completions/fabctl
      zsh: add this line to ~/.zshrc, after `compinit`
        eval "$(fabctl completion zsh)"
      fish: save the script where fish looks:
        fabctl completion fish > ~/.config/fish/completions/fabctl.fish
    """
    from click.shell_completion import get_completion_class

    shell_completion = get_completion_class(shell)
    assert shell_completion is not None  # the Choice admits only the shells click supports
    root = click.get_current_context().find_root().command
    click.echo(shell_completion(root, {}, PROG_NAME, COMPLETE_VAR).source())
