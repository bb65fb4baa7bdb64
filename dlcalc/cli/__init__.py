"""The `dlcalc` command line: parse, call a solver, render. Nothing heavy is imported here."""

from __future__ import annotations

import errno
import importlib
import os
import re
import sys
from typing import Any

import typer

from dlcalc.cli.app import APP_SETTINGS, app
from dlcalc.cli.options import fail
from dlcalc.errors import CheckFailed, DlcalcError

__all__ = ["COMMAND_MODULES", "command_modules", "flushed", "full_app", "main", "run"]

# Modules of this package that hold no command of their own.
_MACHINERY = {"app", "argv", "build", "files", "index", "options", "layers"}


def _cli_modules() -> list[str]:
    import pkgutil

    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _MACHINERY)


def command_modules() -> dict[str, str]:
    """{command: where it comes from} — computed: `dlcalc/cli/NAME.py` for a hand-written command,
    `dlcalc/solvers/NAME.py` for one built from a solver's declaration (see `dlcalc.cli.index`)."""
    from dlcalc.cli.index import COMMANDS

    return {name: origin for name, origin, _en, _zh in COMMANDS}


def __getattr__(name: str) -> object:
    if name == "COMMAND_MODULES":  # computed on first use, never kept by hand
        return command_modules()
    raise AttributeError(name)


def full_app() -> typer.Typer:
    """The app with every command registered (for completions, generated docs, and tests)."""
    from dlcalc.cli.build import command_for
    from dlcalc.solvers import declared

    for module in _cli_modules():
        importlib.import_module(f"dlcalc.cli.{module}")
    importlib.import_module("dlcalc.cli.layers")
    have = _registered_names(app)
    for solver in declared():
        if solver.command and solver.name not in have:
            command_for(solver, app)
            have.add(solver.name)
    _sort_commands(app)
    return app


def _registered_names(application: typer.Typer) -> set[str]:
    names = {info.name or typer.main.get_command_name(info.callback.__name__) for info in application.registered_commands}  # type: ignore[union-attr]
    return names | {g.name for g in application.registered_groups if g.name}


def _sort_commands(application: typer.Typer) -> None:
    application.registered_commands.sort(
        key=lambda info: info.name or typer.main.get_command_name(info.callback.__name__)  # type: ignore[union-attr]
    )


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every failure ends as one stderr line and exit code 2 (1 for a failed check)."""
    sys.exit(flushed(run(argv)))


def flushed(code: int) -> int:
    """Flush stdout here, not at interpreter exit, so that a closed pipe ends quietly; `code` back."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        _silence_stdout()
    return code


def app_for(argv: list[str]) -> typer.Typer:
    """The app with only the command about to run, when argv names one.

    Typer builds a click command for every registered function before dispatching; building just
    the one in use keeps `dlcalc conv …` from paying for all the others. The command is found by
    name: `dlcalc/cli/NAME.py` (hand-written), else the solver module `dlcalc/solvers/NAME.py`
    built from its declaration. The bare `dlcalc --help` lists the commands from the generated
    index, importing no solver.
    """
    if not argv or argv[0].startswith("-"):
        return _index_app() if not argv or argv[0] in ("-h", "--help") else full_app()
    wanted = argv[0]
    small = typer.Typer(**APP_SETTINGS)
    small.registered_callback = app.registered_callback
    hand_written = wanted == "net" or (
        wanted in _cli_modules() and not hasattr(importlib.import_module(f"dlcalc.cli.{wanted}"), "run_command")
    )  # a module with `run_command` only extends the command built from the solver's declaration
    if hand_written:
        importlib.import_module(f"dlcalc.cli.{wanted if wanted != 'net' else 'layers'}")
        for info in app.registered_commands:
            name = info.name or typer.main.get_command_name(info.callback.__name__)  # type: ignore[union-attr]
            if name == wanted:
                small.registered_commands = [info]
                return small
        for group in app.registered_groups:
            if group.name == wanted:
                small.registered_groups = [group]
                return small
    from dlcalc.solvers import declaration, module_names

    solver = declaration(wanted) if wanted in module_names() else None
    if solver is not None and solver.command:
        from dlcalc.cli.build import command_for

        command_for(solver, small)
        return small
    return full_app()


def _index_app() -> typer.Typer:
    """`dlcalc --help`: every command with its one line, from the generated index (no imports)."""
    from dlcalc.cli.build import help_lang
    from dlcalc.cli.index import COMMANDS

    listing = typer.Typer(**APP_SETTINGS)
    listing.registered_callback = app.registered_callback
    for name, _origin, en, zh in COMMANDS:
        listing.command(name=name, help=zh if help_lang() == "zh" else en)(_placeholder)
    return listing


def _placeholder() -> None:  # pragma: no cover - only listed by the bare --help, never run
    pass


def run(argv: list[str] | None = None) -> int:
    argv = _root_lang(list(sys.argv[1:] if argv is None else argv))
    from dlcalc.cli.build import choose_help_lang, translate_help_options

    lang = choose_help_lang(argv)
    try:
        command = typer.main.get_command(app_for(argv))
    except DlcalcError as e:
        fail(e.in_language(lang))
        return 2
    translate_help_options(command)
    if lang == "zh" and getattr(command, "commands", None) is not None:  # the root's own words
        from dlcalc.cli.app import ROOT_HELP, VERSION_HELP

        command.help = ROOT_HELP("zh")
        for param in command.params:
            if "--version" in getattr(param, "opts", ()):
                param.help = VERSION_HELP("zh")  # type: ignore[attr-defined]  # an Option (click.Parameter has no help)
            if "--lang" in getattr(param, "opts", ()):
                from dlcalc.cli.options import SHARED_HELP

                param.help = SHARED_HELP["lang"]("zh")  # type: ignore[attr-defined]
    from dlcalc.cli.argv import protect_values

    argv = protect_values(command, argv)
    code = _run(command, _help_without_lang(argv), lang)
    from dlcalc.cli.build import flush_notes

    flush_notes(code in (0, 1))
    return code


def _help_without_lang(argv: list[str]) -> list[str]:
    """`dlcalc bank --help --lang zh`: the help's language is already chosen, and a group that takes
    no --lang of its own (bank) would refuse it — so a --help run drops it."""
    end = argv.index("--") if "--" in argv else len(argv)
    head = argv[:end]
    if "--help" not in head and "-h" not in head:
        return argv
    kept: list[str] = []
    skip = False
    for word in head:
        if skip:
            skip = False
        elif word == "--lang":
            skip = True
        elif not word.startswith("--lang="):
            kept.append(word)
    return kept + argv[end:]


def _root_lang(argv: list[str]) -> list[str]:
    """`dlcalc --lang zh conv …`: a --lang before the command goes to the command (the root keeps it
    only when no command follows, as in `dlcalc --lang zh --help`)."""
    if argv[:1] == ["--lang"] and len(argv) > 1:
        given, rest = argv[:2], argv[2:]
    elif argv[:1] and argv[0].startswith("--lang="):
        given, rest = argv[:1], argv[1:]
    else:
        return argv
    if rest[:1] in (["-h"], ["--help"]):
        return rest + given  # the listing of every command, as the bare --help
    if not rest or rest[0].startswith("-"):
        return argv
    end = rest.index("--") if "--" in rest else len(rest)
    return rest[:end] + given + rest[end:]


def _run(command: Any, argv: list[str], lang: str) -> int:
    """Run the click command; every way it can end becomes an exit code (and one stderr line)."""
    try:
        command.main(args=argv, prog_name="dlcalc", standalone_mode=False)
    except DlcalcError as e:
        fail(e.in_language(lang))
        return 2
    except CheckFailed:
        return 1
    except typer.Exit as e:
        return e.exit_code
    except typer.Abort:
        print("Aborted.", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except typer.TyperException as e:  # click's usage errors: unknown option, missing argument …
        if type(e).__name__ == "NoArgsIsHelpError":
            e.show()  # type: ignore[attr-defined]
            return 0
        fail(usage_message(e, lang))
        return getattr(e, "exit_code", 2)
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except SystemExit as e:
        # click (on EPIPE) and rich (Console.on_broken_pipe) both end a closed pipe with exit 1
        if _closed_pipe(e):
            _silence_stdout()
            return 0
        raise
    except Exception as e:  # a bug: still one line, never a traceback (DLCALC_DEBUG=1 shows it)
        if os.environ.get("DLCALC_DEBUG"):
            raise
        fail(f"internal error ({type(e).__name__}: {e}); please report it")
        return 2
    return 0


def _closed_pipe(e: BaseException) -> bool:
    """Whether an exception was raised while handling a write to a closed pipe."""
    seen: BaseException | None = e
    while seen is not None:
        if isinstance(seen, BrokenPipeError) or (isinstance(seen, OSError) and seen.errno == errno.EPIPE):
            return True
        seen = seen.__context__
    return False


def _silence_stdout() -> None:
    """Point stdout at /dev/null: the reader is gone, and the final flush must not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


# click's usage errors, read back into Chinese (click has no Chinese catalogue of its own).
_USAGE_ZH = [
    (r"no such option:? (\S+)", r"没有选项 \1"),
    (r"no such command:? (\S+)", r"没有命令 \1"),
    (r"missing command", r"缺少命令"),
    (r"missing argument '([^']*)'", r"缺少参数 '\1'"),
    (r"missing option '([^']*)'((?: / '[^']*')*)", r"缺少选项 '\1'\2"),
    (r"missing parameter:? (\S+)", r"缺少参数 \1"),
    (r"option '([^']*)' requires an argument", r"选项 '\1' 需要一个值"),
    (r"(?:got )?unexpected extra argument(?:s|\(s\))? \((.*)\)", r"多余的参数（\1）"),
    (r"invalid value for '([^']*)': (['\"])(.*)\2 is not one of (.*)", r"'\1' 的值无效：\2\3\2 不是 \4 之一"),
    (r"invalid value for '([^']*)': (.*)", r"'\1' 的值无效：\2"),
]


def usage_message(e: Exception, lang: str = "en") -> str:
    """click's usage error as one dlcalc line: `conv: no such option --bogus (did you mean …?)`."""
    ctx = getattr(e, "ctx", None)
    path = ctx.command_path if ctx is not None else "dlcalc"
    where = path.removeprefix("dlcalc").strip()
    message = " ".join(e.format_message().split()).rstrip(".")  # type: ignore[attr-defined]
    message = re.sub(r"\s*\(Possible options: (.*)\)$", r" (did you mean \1?)", message)
    message = re.sub(r"\s*Did you mean (.*)\?$", r" (did you mean \1?)", message)
    if message[:1].isupper() and not message[1:2].isupper():
        message = message[0].lower() + message[1:]
    if lang == "zh":
        hint = re.search(r" \(did you mean (.*)\?\)$", message)
        body = message[: hint.start()] if hint else message
        for pattern, replacement in _USAGE_ZH:
            if re.fullmatch(pattern, body):
                body = re.sub(pattern, replacement, body)
                break
        message = body + (f"（是不是 {hint.group(1)}？）" if hint else "")
        return f"{where}：{message}；参见 {path} --help" if where else f"{message}；参见 {path} --help"
    help_hint = f"see {path} --help"
    return f"{where}: {message}; {help_hint}" if where else f"{message}; {help_hint}"
