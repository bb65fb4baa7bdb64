"""dlcalc in a pseudo-terminal, as a student runs it: type, and read the screen."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


class Terminal:
    """The real command in its own session with the pty as controlling terminal (as a shell
    starts it), so Ctrl-C typed at the terminal interrupts it."""

    def __init__(self, args: list[str], tmp_path: Path, columns: int = 100, timeout: float = 60):
        import pty

        exe = Path(sys.executable).with_name("dlcalc")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "dlcalc"]
        env = dict(os.environ, DLCALC_DB=str(tmp_path / "h.db"), COLUMNS=str(columns), TERM="dumb")
        self.timeout = timeout
        self.master, slave = pty.openpty()

        def controlling_terminal() -> None:
            import fcntl
            import termios

            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(
            cmd + args,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            close_fds=True,
            preexec_fn=controlling_terminal,
        )
        os.close(slave)
        self.seen = b""

    def wait_for(self, text: str, timeout: float | None = None) -> bool:
        import select

        end = time.time() + (self.timeout if timeout is None else timeout)
        while text.encode() not in self.seen and time.time() < end:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:
                    break
        return text.encode() in self.seen

    def type(self, text: str | bytes) -> None:
        os.write(self.master, text.encode() if isinstance(text, str) else text)

    def interrupt(self, until: str) -> bool:
        """Ctrl-C at the prompt, until `until` shows.

        Python's input() can lose a SIGINT that lands between the prompt being written and its
        select() starting (it then waits for a key): only a machine types that fast, so a second
        Ctrl-C is sent if the first has shown nothing after a generous wait."""
        self.type("\x03")
        if self.wait_for(until, timeout=10):
            return True
        self.type("\x03")
        return self.wait_for(until)

    def screen(self) -> str:
        return self.seen.decode("utf-8", "replace")

    def close(self) -> int:
        self.proc.wait(timeout=60)
        os.close(self.master)
        return self.proc.returncode
