"""The derivation as LaTeX (amsmath) or Markdown with $…$ math, for pasting into notes."""

from __future__ import annotations

from dlcalc.mathfmt import latex_escape
from dlcalc.render import LATEX_JOINERS, say, step_latex
from dlcalc.result import Result


def to_latex(result: Result, lang: str = "en") -> str:
    lines = [f"% dlcalc {result.kind}: {result.title(lang)}", r"\begin{itemize}"]
    for label, value in result.summary:
        lines.append(rf"  \item \textbf{{{latex_escape(label(lang))}}}: {latex_escape(say(value, lang))}")
    lines.append(r"\end{itemize}")
    if result.steps:  # an empty enumerate is a LaTeX error
        lines.append(r"\begin{enumerate}")
    for step in result.steps:
        lines.append(rf"  \item \textbf{{{latex_escape(step.label(lang))}}}")
        parts = ([step.lhs.latex] if step.lhs is not None else []) + [c.latex for c in step.chain]
        if len(parts) > 1 and step.lhs is not None:
            lines.append(r"  \begin{align*}")
            j = LATEX_JOINERS[step.joiner]
            lines.append(f"    {parts[0]} &{j} {parts[1]}" + (r" \\" if len(parts) > 2 else ""))
            for i, part in enumerate(parts[2:]):
                lines.append(f"    &{j} {part}" + (r" \\" if i < len(parts) - 3 else ""))
            lines.append(r"  \end{align*}")
        elif parts:
            lines.append(rf"  \[ {step_latex(step)} \]")
        if step.note:
            lines.append(rf"  \emph{{{latex_escape(step.note(lang))}}}")
    if result.steps:
        lines.append(r"\end{enumerate}")
    for note in result.notes:
        lines.append(rf"\emph{{{latex_escape(note(lang))}}}\par")
    return "\n".join(lines)


def to_markdown(result: Result, lang: str = "en") -> str:
    lines = [f"### {result.title(lang)}", ""]
    for label, value in result.summary:
        lines.append(f"- **{label(lang)}**: {say(value, lang)}")
    lines.append("")
    for i, step in enumerate(result.steps, 1):
        line = f"{i}. **{step.label(lang)}**"
        if step.lhs is not None or step.chain:
            line += f": ${step_latex(step)}$"
        lines.append(line)
        if step.note:
            lines.append(f"   *{step.note(lang)}*")
    if result.notes:
        lines.append("")
        lines += [f"> {n(lang)}" for n in result.notes]
    for figure in result.figures:
        lines += ["", "```", *figure, "```"]
    return "\n".join(lines)
