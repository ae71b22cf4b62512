"""The `asyncdam` command group.

Subcommands live in small modules and are imported only when used, so a missing optional
dependency of one command never breaks the others. To add one, list it in `COMMANDS` as
``"name": "module:attribute"`` (the attribute being a `click.Command`).
"""

from __future__ import annotations

import importlib
import sys

try:
    import click
except ImportError:  # click comes with the `cli` extra
    HAVE_CLICK = False
else:
    HAVE_CLICK = True

from asyncdam._version import __version__

COMMANDS: dict[str, str] = {
    "emulate": "asyncdam.cli.emulate:emulate",
    "phrase": "asyncdam.cli.phrase_cmd:phrase",
    "demo": "asyncdam.cli.demo:demo",
    "phraseanet": "asyncdam.cli.phraseanet_cmd:phraseanet",
    "openasset": "asyncdam.cli.openasset_cmd:openasset",
}


def _load(target: str) -> click.Command:
    module_name, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module_name), attribute)
    assert isinstance(command, click.Command)
    return command


if HAVE_CLICK:

    class LazyGroup(click.Group):
        """A group whose subcommands are imported from `COMMANDS` on first use."""

        def list_commands(self, ctx: click.Context) -> list[str]:
            """Names of the registered and the lazily importable subcommands."""
            return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

        def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
            """The subcommand called `cmd_name`, importing its module if needed."""
            command = super().get_command(ctx, cmd_name)
            if command is None and cmd_name in COMMANDS:
                command = _load(COMMANDS[cmd_name])
            return command

    @click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="asyncdam")
    def main() -> None:
        """asyncdam: async client tools for Phrase Strings, Phraseanet and OpenAsset."""

else:

    def main() -> None:  # type: ignore[misc]
        """Explain how to get the command line dependencies."""
        print("error: the asyncdam command needs click; install 'asyncdam[cli]'", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
