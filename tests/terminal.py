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

    def waiting_for_a_key(self, timeout: float = 60) -> bool:
        """True once the command sleeps in a read of the terminal (Linux: /proc/PID/syscall).

        A prompt on the screen is not enough: Python writes it, then starts input()'s select();
        a SIGINT landing between the two is only acted on after the next key. Once the process
        sleeps in read/poll/select, Ctrl-C interrupts it at once."""
        reading = {"0", "7", "23", "270", "271"}  # x86-64: read, poll, select, pselect6, ppoll
        end = time.time() + timeout
        while time.time() < end:
            try:
                with open(f"/proc/{self.proc.pid}/syscall") as f:
                    call = f.read().split()
            except OSError:
                return False  # not Linux, or not allowed to look: the caller falls back
            if call and call[0] in reading:
                return True
            time.sleep(0.05)
        return False

    def interrupt(self, until: str) -> bool:
        """Ctrl-C at the prompt, once the command waits for a key; then wait for `until`."""
        if not self.waiting_for_a_key():
            time.sleep(2)  # no /proc to look at: give input() time to start its select()
        self.type("\x03")
        return self.wait_for(until)

    def screen(self) -> str:
        return self.seen.decode("utf-8", "replace")

    def close(self) -> int:
        self.proc.wait(timeout=60)
        os.close(self.master)
        return self.proc.returncode
