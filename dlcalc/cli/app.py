"""The Typer application object; commands register themselves on it from their modules."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

APP_SETTINGS = dict(
    name="dlcalc",
    help="Worked, torch-checked answers to deep-learning exam calculations.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)
app = typer.Typer(**APP_SETTINGS)


def _version(value: bool) -> None:
    if value:
        from dlcalc import __version__

        print(f"dlcalc {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = None,
) -> None:
    """Worked, torch-checked answers to deep-learning exam calculations."""
