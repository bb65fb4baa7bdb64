"""The `dlcalc` command line: parse, call a solver, render. Nothing heavy is imported here."""

from __future__ import annotations

import importlib
import os
import sys

import typer

from dlcalc.cli.app import APP_SETTINGS, app
from dlcalc.cli.options import fail
from dlcalc.errors import CheckFailed, DlcalcError

__all__ = ["COMMAND_MODULES", "full_app", "main", "run"]

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
    "optim": "extras",
    "attention": "extras",
    "batchnorm": "extras",
    "softmax": "extras",
    "loss": "extras",
    "act": "extras",
    "metrics": "extras",
    "bank": "bank",
    "quiz": "quiz",
}


def full_app() -> typer.Typer:
    """The app with every command registered (for --help, completions, and tests)."""
    for module in sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(f"dlcalc.cli.{module}")
    return app


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every failure ends as one stderr line and exit code 2 (1 for a failed check)."""
    sys.exit(run(argv))


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
        ctx = getattr(e, "ctx", None)
        where = f"{ctx.command_path}: " if ctx is not None else ""
        fail(where + e.format_message())
        return getattr(e, "exit_code", 2)
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug: still one line, never a traceback (DLCALC_DEBUG=1 shows it)
        if os.environ.get("DLCALC_DEBUG"):
            raise
        fail(f"internal error ({type(e).__name__}: {e}); please report it")
        return 2
    return 0
