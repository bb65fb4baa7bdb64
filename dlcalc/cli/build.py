"""A Typer command built from a solver's declaration (dlcalc.declare), in the language of --help.

`command_for(solver)` turns every declared `Input` into an option or argument (its metavar shows
the real type, its help says the default), adds the shared output options, `-f/--file` for
solvers that read YAML files, `--png/--svg` for solvers with a picture, and the hidden old
spellings. A command whose behaviour is special keeps its own code in `dlcalc/cli/NAME.py`: it
may declare more `OPTIONS` and a `run(solver, inputs, options, out)` that replaces the plain
solve-and-print; everything else still comes from the declaration.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Annotated, Any, Optional

import typer

from dlcalc.declare import Input, Solver
from dlcalc.text import T, Text

# The language --help is built in: chosen from argv (--lang zh) or DLCALC_LANG before the
# command is built, since click prints help while it parses.
_help_lang = {"lang": "en"}


def help_lang() -> str:
    return _help_lang["lang"]


def choose_help_lang(argv: list[str]) -> str:
    lang = os.environ.get("DLCALC_LANG", "en")
    for i, word in enumerate(argv):
        if word == "--":
            break
        if word == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif word.startswith("--lang="):
            lang = word.split("=", 1)[1]
    _help_lang["lang"] = "zh" if lang == "zh" else "en"
    _typer_words(_help_lang["lang"])
    return _help_lang["lang"]


def say(text: Text) -> str:
    return text(help_lang())


_TYPER_WORDS = {
    "ARGUMENTS_PANEL_TITLE": T("Arguments", "参数"),
    "OPTIONS_PANEL_TITLE": T("Options", "选项"),
    "COMMANDS_PANEL_TITLE": T("Commands", "命令"),
    "DEFAULT_STRING": T("[default: {}]", "[默认：{}]"),
    "REQUIRED_LONG_STRING": T("[required]", "[必填]"),
}


def _typer_words(lang: str) -> None:
    """Typer's own help headings in the help's language (they are module constants of rich_utils)."""
    if lang == "en" and "typer.rich_utils" not in sys.modules:
        return  # English is what Typer has already: nothing to import for it
    from typer import rich_utils

    for name, text in _TYPER_WORDS.items():
        setattr(rich_utils, name, text(lang))
    if lang == "zh":  # Chinese has no spaces to wrap at: a help cell folds a long run, never cuts it with …
        rich_utils.Columns = _folding_columns  # type: ignore[misc,assignment]


def _folding_columns(renderables: Any = None, *args: Any, **kwargs: Any) -> Any:
    """rich's Columns (Typer's help cell), its text set to fold where it would be cut off."""
    from rich.columns import Columns
    from rich.text import Text as RichText

    for item in renderables or ():
        if isinstance(item, RichText):
            item.overflow = "fold"
    return Columns(renderables, *args, **kwargs)


HELP_OPTION = T("Show this help and exit.", "显示帮助并退出。")


def translate_help_options(command: Any) -> None:
    """click's own `-h/--help` line, in the help's language (click caches the option per command)."""
    if help_lang() == "en":
        return
    from typer._click.core import Context  # Typer's own click (typer<0.29 vendors it)

    from dlcalc.cli.help_zh import HELP_ZH as OWN
    from dlcalc.cli.options import SHARED_HELP

    HELP_ZH = {**OWN, **{t.en: t.zh for t in SHARED_HELP.values()}}  # hand-written commands use the .en

    def walk(cmd: Any) -> None:
        ctx = Context(cmd, info_name=cmd.name, help_option_names=["-h", "--help"])
        option = cmd.get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION("zh")
        cmd.help = HELP_ZH.get(cmd.help, cmd.help)  # the hand-written commands' own words
        for param in cmd.params:
            if getattr(param, "help", None) in HELP_ZH:
                param.help = HELP_ZH[param.help]
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)

    walk(command)


# --- notes for old spellings --------------------------------------------------------------------

RENAMED = T(
    "note: {old} is now {new} (the old spelling still works)",
    "提示：{old} 已改为 {new}（旧写法仍可用）",
)


_notes: list[str] = []


def note_renamed(old: str, new: str, lang: str) -> None:
    """Say an old spelling was used — after the answer, and not at all when the command fails
    (a refusal stays one stderr line)."""
    line = "dlcalc: " + RENAMED(lang).format(old=old, new=new)
    if line not in _notes:
        _notes.append(line)


def flush_notes(print_them: bool) -> None:
    if print_them:
        for line in _notes:
            print(line, file=sys.stderr)
    _notes.clear()


# --- the parameters -----------------------------------------------------------------------------

FILE_INPUT = Input(
    "file",
    help=T("A YAML file with the same fields (options override it).", "含相同字段的 YAML 文件（选项优先）。"),
    short="-f",
    metavar="FILE",
)
SET_INPUT = Input(
    "set",
    help=T(
        'Any field by its YAML name, e.g. --set "W_f=0.5" (repeatable).',
        '按 YAML 字段名设置任意字段，例如 --set "W_f=0.5"（可重复）。',
    ),
    metavar="NAME=VALUE",
    repeat=True,
)
PNG = T("Save the worked picture as a PNG file.", "把图解保存为 PNG 文件。")
SVG = T("Save the worked picture as an SVG file.", "把图解保存为 SVG 文件。")
LEGACY_FILE = T("(old spelling of -f FILE)", "（-f FILE 的旧写法）")


CHOICES_INLINE = 16  # a choice list longer than this in --help's type column ([a|b|c]) is given in the help
ONE_OF = T("One of: {c}.", "可选值：{c}")


def choice_metavar(i: Input) -> str:
    """The type column of an option with choices: `[a|b|c]` when short; else a short name (the
    declared metavar, or NAME) with the list in the help text (`choice_list`), so that at 80
    columns the list wraps between its words instead of being cut inside a choice."""
    inline = "[" + "|".join(i.choices) + "]"
    return inline if len(inline) <= CHOICES_INLINE else (i.metavar if i.metavar != "TEXT" else "NAME")


def choice_list(i: Input, text: str, lang: str) -> str:
    """`text` (an option's help) with its choices listed, unless the type column shows them or
    the text already names every one."""
    if not i.choices or choice_metavar(i).startswith("["):
        return text
    if all(re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", text) for c in i.choices):
        return text
    # spaces: --help wraps only there; quoted in Chinese, where they are the literal values to type
    listed = ", ".join(f"'{c}'" if lang == "zh" else c for c in i.choices)
    return (text.rstrip() + " " + ONE_OF(lang).format(c=listed)).strip()


def option_help(i: Input) -> str:
    text = choice_list(i, say(i.help), help_lang())
    default = i.default_text(help_lang())
    if default is not None:
        # escaped: Typer reads help as rich markup, where a bare [default: 1] is a (dropped) style tag
        text += ("  \\" if help_lang() != "zh" else " \\") + say(T("[default: {d}]", "[默认：{d}]")).format(d=default)
    return text


def _offer(i: Input) -> Callable[..., list[str]] | None:
    """Typer's autocompletion (click's shell_complete) for an input whose values are known (`Input.completion_values`): what
    scripts/gen_completions.py writes into the bash, zsh and fish scripts."""
    values = i.completion_values()
    if not values:
        return None

    def offer(incomplete: str) -> list[str]:
        return [v for v in values if v.startswith(incomplete)]

    return offer


def _annotation(i: Input, *, hidden: bool = False, names: tuple[str, ...] | None = None) -> tuple[Any, Any]:
    """(annotation, default) of one Typer parameter for `i`."""
    if i.positional:
        argument = typer.Argument(
            metavar=i.metavar, help=option_help(i), show_default=False, hidden=hidden, autocompletion=_offer(i)
        )
        if i.required:
            return Annotated[str, argument], inspect.Parameter.empty
        return Annotated[Optional[str], argument], None
    names = names or tuple(n for n in (i.option, i.short) if n)
    kind: Any = str
    if i.choices and not hidden:
        from enum import Enum

        kind = Enum(i.name.title().replace("_", ""), {c: c for c in i.choices}, type=str)  # type: ignore[misc,no-redef]
    if i.switch:
        option = typer.Option(*names, help=option_help(i), hidden=hidden)
        return Annotated[bool, option], False
    option = typer.Option(
        *names, help=option_help(i), metavar=i.metavar if not i.choices else choice_metavar(i), show_default=False,
        hidden=hidden, case_sensitive=False, autocompletion=None if i.choices else _offer(i),
    )  # fmt: skip
    if i.repeat:
        return Annotated[Optional[list[str]], option], None
    if i.required and not hidden:
        return Annotated[kind, option], inspect.Parameter.empty
    return Annotated[Optional[kind], option], None


def _parameters(solver: Solver, extra: tuple[Input, ...]) -> tuple[list[inspect.Parameter], dict[str, tuple]]:
    """The command's parameters and, for each, (kind, Input, old spelling): kind is `input`,
    `option` (a command-only option), `alias`, `file`, `legacy_file`, `png`, `svg`."""
    from dlcalc.cli.options import shared_parameters

    params: list[inspect.Parameter] = []
    roles: dict[str, tuple] = {}

    def add(role: str, i: Input, annotation: Any, default: Any, old: str = "") -> None:
        name = f"p{len(params)}"
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD if i.positional else inspect.Parameter.KEYWORD_ONLY
        params.append(inspect.Parameter(name, kind, default=default, annotation=annotation))
        roles[name] = (role, i, old)

    declared = [i for i in solver.inputs if i.cli]
    for i in [i for i in declared if i.positional] + [i for i in extra if i.positional]:
        add("input" if i in declared else "option", i, *_annotation(i))
    if solver.file:
        legacy = Input("file", help=LEGACY_FILE, positional=True, metavar="[FILE]")
        add("legacy_file", legacy, *_annotation(legacy, hidden=True))
    # keyword parameters after every positional one
    for i in [i for i in declared if not i.positional]:
        add("input", i, *_annotation(i))
    for i in [i for i in extra if not i.positional]:
        add("option", i, *_annotation(i))
    if solver.file:
        add("file", FILE_INPUT, *_annotation(FILE_INPUT))
        add("set", SET_INPUT, *_annotation(SET_INPUT))
    if solver.picture:
        for fmt, text in (("png", PNG), ("svg", SVG)):
            pic = Input(fmt, help=text, metavar="FILE")
            add(fmt, pic, *_annotation(pic))
    for i in list(declared) + list(extra):
        for old in i.aliases:
            add("alias", i, *_annotation(i, hidden=True, names=(old,)), old=old)
    # keyword-only parameters may not precede positional ones in a signature
    positional = [p for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    keyword = [p for p in params if p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD]
    return positional + keyword + shared_parameters(), roles


def help_text(solver: Solver) -> str:
    lines = [say(solver.help), "", say(T("Example: ", "示例：")) + solver.example]
    lines += [say(n) for n in solver.notes]
    return "\n\n".join([lines[0], "\n".join(lines[2:])])


def extension(name: str) -> ModuleType | None:
    """`dlcalc/cli/NAME.py` when it extends the generic command (found by name, like a solver)."""
    import importlib
    import pkgutil

    import dlcalc.cli

    if name not in {m.name for m in pkgutil.iter_modules(dlcalc.cli.__path__)}:
        return None
    module = importlib.import_module(f"dlcalc.cli.{name}")
    return module if hasattr(module, "run_command") else None


def command_for(solver: Solver, app: typer.Typer) -> None:
    """Register the command of `solver` on `app`."""
    ext = extension(solver.name)
    extra: tuple[Input, ...] = tuple(getattr(ext, "OPTIONS", ()))
    params, roles = _parameters(solver, extra)

    def command(**kwargs: Any) -> None:
        from dlcalc.cli.options import output_from

        out = output_from(kwargs)
        try:
            inputs, options, pictures = gather(solver, roles, kwargs, out.lang)
            if ext is not None:
                ext.run_command(solver, inputs, options, out, pictures)
            else:
                solve_and_emit(solver, inputs, out, pictures)
        except Exception as e:
            from dlcalc.errors import DlcalcError

            if isinstance(e, DlcalcError):  # a bilingual refusal speaks the --lang of the command
                e.message = e.in_language(out.lang)
            raise

    command.__name__ = solver.name
    command.__doc__ = help_text(solver)
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    app.command(name=solver.name, help=help_text(solver))(command)


def gather(
    solver: Solver, roles: dict[str, tuple], kwargs: dict[str, Any], lang: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The spec inputs (file fields overridden by options), the command-only options, the pictures."""
    inputs: dict[str, Any] = {}
    options: dict[str, Any] = {}
    pictures: dict[str, str] = {}
    file: str | None = None
    sets: list[str] = []
    kwargs = {k: getattr(v, "value", v) for k, v in kwargs.items()}  # a choice arrives as its Enum member
    for key, value in kwargs.items():
        role, i, old = roles[key]
        if role == "alias" and value not in (None, False):
            note_renamed(old, i.option, lang)
            target = inputs if i in solver.inputs else options
            target.setdefault(i.name, i.on if i.switch else value)
        elif role == "legacy_file" and value is not None:
            note_renamed(say_in(T("a positional FILE", "位置参数 FILE"), lang), "-f FILE", lang)
            file = file or value
        elif role == "file" and value is not None:
            file = value
        elif role in ("png", "svg") and value is not None:
            pictures[role] = value
        elif role == "input" and value not in (None, False):
            inputs[i.name] = i.on if i.switch else value
        elif role == "option":
            options[i.name] = value
        elif role == "set":
            sets = value or []
    for key, value in kwargs.items():  # a new spelling wins over an old one given too
        role, i, _ = roles[key]
        if role == "input" and value not in (None, False):
            inputs[i.name] = i.on if i.switch else value
    for item in sets:
        if "=" not in item:
            from dlcalc.errors import DlcalcError

            raise DlcalcError(
                T("--set: expected NAME=VALUE, got {v!r}", "--set：应为 NAME=VALUE，得到 {v!r}").format(v=item)
            )
        key, value = (part.strip() for part in item.split("=", 1))
        inputs[key] = value
    if file is not None:
        from dlcalc.cli.files import load_mapping

        inputs = {**load_mapping(find_file(file)), **inputs}
    return inputs, options, pictures


def say_in(text: Text, lang: str) -> str:
    return text(lang)


def find_file(path: str) -> str:
    """The file as named, or a shipped example of that name when the cwd has no such file."""
    from pathlib import Path

    try:
        if Path(path).exists() or os.sep in path or "/" in path:
            return path
    except (OSError, ValueError):  # a name too long for the system: reading it says what is wrong
        return path
    from dlcalc.data import example_path

    shipped = example_path(path)
    return str(shipped) if shipped is not None else path


def solve_and_emit(solver: Solver, inputs: dict[str, Any], out: Any, pictures: dict[str, str]) -> Any:
    """The plain command: read the spec, solve, save the pictures asked for, print."""
    from dlcalc.cli.options import emit
    from dlcalc.declare import build_spec
    from dlcalc.solvers import load

    module = load(solver.name)
    assert module is not None
    result = module.solve(build_spec(solver, inputs))
    save_pictures(result, pictures, out.lang)
    emit(result, out)
    return result


def save_pictures(result: Any, pictures: dict[str, str], lang: str) -> None:
    """--png/--svg: the worked picture of the result, each file's place said on stderr."""
    if not pictures:
        return
    from dlcalc.draw import SAVED, save
    from dlcalc.draw.worked import picture_of

    diagram = picture_of(result)
    for fmt, path in pictures.items():
        w, h = save(diagram, path, lang, fmt)
        print("dlcalc: " + SAVED[fmt](lang).format(path=path, w=w, h=h), file=sys.stderr)


CommandHook = Callable[[Solver, dict[str, Any], dict[str, Any], Any, dict[str, str]], None]
