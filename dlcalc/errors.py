"""The two ways a command can fail, with the exit codes the CLI promises."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dlcalc.text import Text


class DlcalcError(Exception):
    """Bad input: one line for stderr naming what is wrong; exit code 2.

    The message is English text, or a bilingual `Text`: then `message` is the English one until
    the command's `--lang` picks the other (`in_language`).
    """

    exit_code = 2

    def __init__(self, message: str | Text):
        text = None if isinstance(message, str) else message
        english = message if isinstance(message, str) else message.en
        super().__init__(english)
        self.message = english
        self.text = text

    def in_language(self, lang: str) -> str:
        if lang == "zh":  # an English message from its raise site, read through the phrase table (a
            from dlcalc.text import zh_message  # T(en, zh) too: it may quote an OS error's words)

            return zh_message(self.text(lang) if self.text is not None else self.message)
        if self.text is not None:
            return self.text(lang)
        return self.message


class CheckFailed(Exception):
    """Checked and wrong (a cross-check mismatch, a wrong claimed gradient); exit code 1."""

    exit_code = 1
