"""The two ways a command can fail, with the exit codes the CLI promises."""


class DlcalcError(Exception):
    """Bad input: one line for stderr naming what is wrong; exit code 2."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CheckFailed(Exception):
    """Checked and wrong (a cross-check mismatch, a wrong claimed gradient); exit code 1."""

    exit_code = 1
