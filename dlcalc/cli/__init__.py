"""The `dlcalc` command line: parse, call a solver, render. Nothing heavy is imported here."""

from __future__ import annotations

import errno
import importlib
import os
import re
import sys

import typer

from dlcalc.cli.app import APP_SETTINGS, app
from dlcalc.cli.options import fail
from dlcalc.errors import CheckFailed, DlcalcError

__all__ = ["COMMAND_MODULES", "flushed", "full_app", "main", "run"]

# Which module registers each command: running one command imports only its module.
COMMAND_MODULES = {
    "conv": "layers",
    "pool": "layers",
    "net": "layers",
    "perceptron": "training",
    "backprop": "gradients",
    "grad": "gradients",
    "rnn": "sequences",
    "lstm": "sequences",
    "gru": "sequences",
    "bptt": "bptt",
    "optim": "extras",
    "attention": "extras",
    "batchnorm": "extras",
    "softmax": "extras",
    "loss": "extras",
    "act": "extras",
    "metrics": "extras",
    "bank": "bank",
    "quiz": "quiz",
    "exam": "exam",
    "explain": "explain",
    "draw": "draw",
}


def full_app() -> typer.Typer:
    """The app with every command registered (for --help, completions, and tests)."""
    for module in sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(f"dlcalc.cli.{module}")
    return app


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
    the one in use keeps `dlcalc conv …` from paying for all the others. Help and completion
    generation use the full app.
    """
    if not argv or argv[0].startswith("-") or argv[0] not in COMMAND_MODULES:
        return full_app()
    wanted = argv[0]
    importlib.import_module(f"dlcalc.cli.{COMMAND_MODULES[wanted]}")
    small = typer.Typer(**APP_SETTINGS)
    small.registered_callback = app.registered_callback
    for info in app.registered_commands:
        name = info.name or typer.main.get_command_name(info.callback.__name__)
        if name == wanted:
            small.registered_commands = [info]
            return small
    for group in app.registered_groups:
        if group.name == wanted:
            small.registered_groups = [group]
            return small
    return full_app()


def run(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(app_for(argv))
    from dlcalc.cli.argv import protect_values

    argv = protect_values(command, argv)
    try:
        command.main(args=argv, prog_name="dlcalc", standalone_mode=False)
    except DlcalcError as e:
        fail(e.message)
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
        fail(usage_message(e))
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


def usage_message(e: Exception) -> str:
    """click's usage error as one dlcalc line: `conv: no such option --bogus (did you mean …?)`."""
    ctx = getattr(e, "ctx", None)
    path = ctx.command_path if ctx is not None else "dlcalc"
    where = path.removeprefix("dlcalc").strip()
    message = " ".join(e.format_message().split()).rstrip(".")  # type: ignore[attr-defined]
    message = re.sub(r"\s*\(Possible options: (.*)\)$", r" (did you mean \1?)", message)
    message = re.sub(r"\s*Did you mean (.*)\?$", r" (did you mean \1?)", message)
    if message[:1].isupper() and not message[1:2].isupper():
        message = message[0].lower() + message[1:]
    help_hint = f"see {path} --help"
    return f"{where}: {message}; {help_hint}" if where else f"{message}; {help_hint}"
