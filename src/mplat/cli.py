"""`mplat` command line: one group, each area registers its own subcommands."""

from __future__ import annotations

import importlib

import click

# (command name, "module:attribute") — each area owns its module; add a line to add a command group.
COMMAND_GROUPS: list[tuple[str, str]] = [
    ("ingest", "mplat.ops.ingest_cli:ingest"),
    ("transform", "mplat.ops.ingest_cli:transform"),
    ("dev", "mplat.ops.dev_stack:dev"),
]


class LazyGroup(click.Group):
    """Imports a subcommand's module only when it is used, so `mplat --help` stays fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, _ in COMMAND_GROUPS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for name, target in COMMAND_GROUPS:
            if name == cmd_name:
                module_name, attr = target.split(":")
                return getattr(importlib.import_module(module_name), attr)
        return None


@click.group(cls=LazyGroup)
def main() -> None:
    """mplat: gallery builds, ingestion and the local AWS stack."""


if __name__ == "__main__":
    main()
