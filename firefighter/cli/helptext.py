"""`--help` as people read it: `--open`, `--format TEXT`, `INCIDENT`; no `<bool>`, `<str>`
or `{incident}`.

Typer labels every parameter by its Python type in angle brackets and wraps required
arguments in braces in the usage line. The root group hands out its commands through
`PlainHelpGroup.get_command`, which gives each parameter click's classic label (none for a
flag, the type's name for a value, the argument's name in capitals) unless it has its own.
"""

from __future__ import annotations

import sys
from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup

# click's classic names for the value types our options take.
_TYPE_NAMES = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "Path": "PATH"}


def _label(param: Any) -> None:
    if param.metavar is not None:
        return
    if isinstance(param, TyperArgument):
        param.metavar = (param.name or "value").upper()
        param.__class__ = PlainArgument
    elif getattr(param, "is_flag", False) or getattr(param, "count", False):
        param.metavar = ""
    else:
        bare = param.bare_type() if hasattr(param, "bare_type") else "value"
        param.metavar = _TYPE_NAMES.get(bare, bare.upper())


def _plain(command: Any) -> Any:
    if isinstance(command, TyperGroup) and not isinstance(command, PlainHelpGroup):
        command.__class__ = PlainHelpGroup
    elif isinstance(command, TyperCommand) and not isinstance(command, PlainCommand):
        command.__class__ = PlainCommand
    for param in command.params:
        _label(param)
    return command


def _usage(command: Any, ctx: Any) -> list[str]:
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if isinstance(param, TyperArgument):
            name = param.metavar or (param.name or "").upper()
            name = name if param.required else f"[{name}]"
            pieces.append(name + ("..." if param.nargs != 1 else ""))
    return pieces


def _quiet_help(option: Any) -> Any:
    if option is not None:
        option.metavar = ""
    return option


class PlainArgument(TyperArgument):
    """An argument named by its metavar alone (no `<str>` beside it)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


class PlainCommand(TyperCommand):
    """A command whose usage line and help option read like click's."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return _usage(self, ctx)

    def get_help_option(self, ctx: Any) -> Any:
        return _quiet_help(super().get_help_option(ctx))


class PlainHelpGroup(TyperGroup):
    """A group that gives its commands (and sub-groups) plain labels as it hands them out."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        return _plain(found) if found is not None else None

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [*_usage(self, ctx), self.subcommand_metavar]

    def get_help_option(self, ctx: Any) -> Any:
        return _quiet_help(super().get_help_option(ctx))

    def main(self, *args: Any, **kwargs: Any) -> Any:
        for param in self.params:
            _label(param)
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        # click's usage errors (`--port abc`, a missing argument, an unknown command) as one
        # line on stderr with exit code 2, like every other refusal, instead of a framed box.
        try:
            result = super().main(*args, **{**kwargs, "standalone_mode": False})
        except Exception as error:
            message = getattr(error, "format_message", None)
            code = getattr(error, "exit_code", None)
            if message is None or not isinstance(code, int):
                raise
            context = getattr(error, "ctx", None)
            where = getattr(context, "command_path", "") if context is not None else ""
            hint = f" See `{where} --help`." if where and code == 2 else ""
            text = " ".join(str(message()).split()).rstrip(".")
            text = text[:1].lower() + text[1:]
            sys.stderr.write(f"error: {text}.{hint}\n")
            sys.exit(code)
        sys.exit(result if isinstance(result, int) else 0)
