"""An interactive zsh on a pseudo-terminal, as an operator's: keys typed, TAB completing.

The session starts `zsh -f -i` (no rc files) with compinit, sources `portal completion zsh`,
and records, for each line typed and completed with TAB, what the completion offered (through
a `compadd` wrapper that asks the real `compadd` which words match) and the command line zsh
left (a widget bound to Ctrl-X prints `$BUFFER` and clears it). Nothing typed is ever run.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CTRL_X = "\x18"
SETUP = r"""bindkey -e
PS1='' RPS1=''
autoload -Uz compinit && compinit -u -D
source <(portal completion zsh)
compadd() {
  local -a matched
  builtin compadd -A matched "$@"
  print -r -- "offered:${(j: :)matched}" >> $RECORD
  builtin compadd "$@"
}
dump-buffer() { print -r -- "line:$BUFFER" >> $RECORD; BUFFER= }
zle -N dump-buffer
bindkey '^X' dump-buffer
print -r -- "ready:${_comps[portal]}" >> $RECORD
"""


@dataclass
class ZshSession:
    pid: int
    fd: int
    record: Path

    def _records(self) -> list[str]:
        return self.record.read_text().splitlines() if self.record.exists() else []

    def _wait_for(self, count: int, *, within: float) -> list[str]:
        deadline = time.monotonic() + within
        while len(lines := self._records()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"zsh wrote {lines} in {within}s, expected {count} lines")
            readable, _, _ = select.select([self.fd], [], [], 0.05)
            if readable:
                try:
                    os.read(self.fd, 65536)  # the terminal's output: drained, not needed
                except OSError:
                    raise AssertionError(f"zsh exited; it wrote {lines}") from None
        return lines

    def complete(self, typed: str, *, within: float) -> tuple[str, str]:
        """Type `typed`, press TAB, then Ctrl-X: (the words offered, the line zsh left)."""
        before = len(self._records())
        os.write(self.fd, f"{typed}\t{CTRL_X}".encode())
        offered, line = self._wait_for(before + 2, within=within)[before : before + 2]
        assert offered.startswith("offered:"), (offered, line)
        assert line.startswith("line:"), (offered, line)
        return offered.removeprefix("offered:"), line.removeprefix("line:")


def start_zsh(zsh: str, *, env: dict[str, str], record: Path, within: float) -> ZshSession:
    """An interactive zsh with `portal completion zsh` loaded; `ready:` names its function."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec zsh at once
        os.execve(zsh, [zsh, "-f", "-i"], env | {"RECORD": str(record), "TERM": "xterm"})
    session = ZshSession(pid=pid, fd=fd, record=record)
    os.write(fd, SETUP.encode())
    [ready] = session._wait_for(1, within=within)
    assert ready == "ready:_portal", ready
    return session


def stop_zsh(session: ZshSession) -> None:
    os.kill(session.pid, signal.SIGKILL)
    os.waitpid(session.pid, 0)
    os.close(session.fd)
