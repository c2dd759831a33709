"""The README's console transcripts are true: run in order on a fresh database, as a new user
runs them, each command prints what the README shows.

Each `$ ` line of a ```console block (with the lines its `\\` continues) runs in bash, in a
folder that stands for the clone (its `.venv`, `data/` and `datasette-metadata.json`), with a
new home folder and nothing of the caller's environment but PATH (and PYTHONPATH, where the
code under test may be); shell variables carry over from one command to the next. A command
with `registry serve` starts the server on a free port (for `localhost:8000` in the commands
after it) and its first lines are compared. Placeholders, as the README says: the home folder
reads `/home/juf`, the port 8000, and `...` (with the spaces that pad it in a table) stands
for any text.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
HOME = "/home/juf"
PORT = "8000"
ELISION = re.compile(r"\.\.\.( +(?=[│┃|]))?")  # `...`, and the padding of a table cell


@dataclass
class Example:
    command: str  # as shown, continuation lines included
    output: str  # as shown
    line: int  # of the command in README.md


def examples(text: str) -> list[Example]:
    """The commands of the ```console blocks and the output shown after each."""
    found = []
    for block in re.finditer(r"^```console\n(.*?)^```$", text, re.M | re.S):
        first = text.count("\n", 0, block.start(1)) + 1
        lines = block[1].splitlines()
        i = 0
        while i < len(lines):
            assert lines[i].startswith("$ "), f"README.md:{first + i}: output before a command"
            start = i
            command = [lines[i][2:]]
            while command[-1].endswith("\\"):
                i += 1
                command.append(lines[i])
            i += 1
            output = []
            while i < len(lines) and not lines[i].startswith("$ "):
                output.append(lines[i])
                i += 1
            found.append(Example("\n".join(command), "\n".join(output), first + start))
    return found


def matches(shown: str, printed: str) -> bool:
    """Whether `printed` is `shown` with each `...` standing for any text."""
    pattern, last = [], 0
    for elision in ELISION.finditer(shown):
        pattern += [re.escape(shown[last:elision.start()]), ".*?" + (" " if elision[1] else "")]
        last = elision.end()
    pattern.append(re.escape(shown[last:]))
    return re.fullmatch("".join(pattern), printed, re.S) is not None


def tidy(output: str) -> str:
    return "\n".join(line.rstrip() for line in output.rstrip("\n").splitlines())


class Shell:
    """Commands in bash, one after the other, sharing their variables as a terminal would."""

    def __init__(self, clone: Path, home: Path, port: int):
        self.clone, self.home, self.port = clone, home, port
        self.state = home.parent / "shell-state"
        self.state.write_text("")
        self.env = {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8",
                    "PYTHONUNBUFFERED": "1"}  # as in a terminal: each line as it is written
        if "PYTHONPATH" in os.environ:  # the code under test, where the caller put it
            self.env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        self.servers: list[tuple[subprocess.Popen, threading.Thread]] = []

    def script(self, command: str) -> str:
        command = (command.replace("localhost:8000", f"localhost:{self.port}")
                   .replace("registry serve", f"registry serve --port {self.port}", 1))
        # `set -a` exports what a command assigns (TOKEN=...), `export -p` keeps it for the next.
        return (f"set -a; . {self.state}\n{command}\n"
                f"status=$?; export -p > {self.state}; exit $status\n")

    def printed(self, output: str) -> str:
        """The output with the placeholders the README uses."""
        for host in ("127.0.0.1", "localhost"):
            output = output.replace(f"{host}:{self.port}", f"{host}:{PORT}")
        return tidy(output.replace(str(self.home), HOME))

    def run(self, command: str) -> str:
        done = subprocess.run(["bash", "-c", self.script(command)], cwd=self.clone, env=self.env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=120)
        return self.printed(done.stdout)

    def start(self, command: str, lines: int) -> str:
        """Starts a server and returns its first `lines` lines once it answers."""
        process = subprocess.Popen(["bash", "-c", self.script(command)], cwd=self.clone,
                                   env=self.env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        printed: queue.Queue[str | None] = queue.Queue()

        def drain() -> None:  # reads all output, so that the pipe never fills
            for line in process.stdout:
                printed.put(line)
            printed.put(None)

        drainer = threading.Thread(target=drain, daemon=True)
        drainer.start()
        self.servers.append((process, drainer))
        first = []
        while len(first) < lines and (line := printed.get(timeout=60)) is not None:
            first.append(line)
        if len(first) == lines:  # else it stopped: the comparison shows why
            transport = httpx.HTTPTransport(retries=10)  # until it listens
            with httpx.Client(transport=transport, timeout=30) as http:
                assert http.get(f"http://127.0.0.1:{self.port}/static/embed.js").is_success
        return self.printed("".join(first))

    def stop(self) -> None:
        for process, drainer in self.servers:
            os.killpg(process.pid, signal.SIGTERM)  # bash and the server it started
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            drainer.join()
            process.stdout.close()


@pytest.fixture
def shell(tmp_path, port) -> Iterator[Shell]:
    venv = Path(sys.prefix)
    assert (venv / "bin" / "registry").exists(), f"run the tests with the venv's python, not {venv}"
    assert shutil.which("curl"), "the README's transcripts need curl (apt-get install curl)"
    clone, home = tmp_path / "clone", tmp_path / "home"
    clone.mkdir()
    home.mkdir()
    (clone / ".venv").symlink_to(venv)
    for name in ("data", "datasette-metadata.json"):
        (clone / name).symlink_to(ROOT / name)
    shell = Shell(clone, home, port)
    yield shell
    shell.stop()


@pytest.mark.server
def test_the_readme_transcripts_are_true(shell):
    found = examples(README.read_text())
    assert sum("registry serve" in e.command for e in found) == 1
    wrong = []
    for example in found:
        shown = tidy(example.output)
        if "registry serve" in example.command:  # its first lines, up to a last `...`
            shown = shown.removesuffix("\n...")
            printed = shell.start(example.command, len(shown.splitlines()))
        else:
            printed = shell.run(example.command)
        if not matches(shown, printed):
            wrong.append(f"README.md:{example.line}: $ {example.command}\n"
                         f"--- shown\n{shown}\n--- printed\n{printed}\n")
    if wrong:
        pytest.fail("\n".join(wrong))


def test_every_transcript_runs_from_the_venv_against_the_default_port():
    for example in examples(README.read_text()):
        for word in example.command.split():
            if word in ("registry", "datasette", "python", "pip"):
                pytest.fail(f"README.md:{example.line}: `{word}` is not on PATH after the "
                            f"set-up; write .venv/bin/{word}")
        for address in re.findall(r"(?:localhost|127\.0\.0\.1):\d+", example.command):
            assert address.endswith(":8000"), f"README.md:{example.line}: {address}"


@pytest.mark.parametrize(("shown", "printed", "match"), [
    ("Revoked token 'a'.", "Revoked token 'a'.", True),
    ("Revoked token 'a'.", "Revoked token 'b'.", False),
    ("Revoked token 'a'.", "Revoked token 'a'.\nmore", False),
    ('{"version":1,"published_at":"...","policy":"2026.1"}',
     '{"version":1,"published_at":"2026-11-28T22:38:02Z","policy":"2026.1"}', True),
    ('{"version":1,"published_at":"...","policy":"2026.1"}',
     '{"version":2,"published_at":"2026-11-28T22:38:02Z","policy":"2026.1"}', False),
    ('{"items":[...],"total":2}', '{"items":[{"id":"a"},\n{"id":"b"}],"total":2}', True),
    ('{"items":[...],"total":2}', '{"items":[],"total":1}', False),
    ("│ ...      │ inkoop │", "│ 2f453257 │ inkoop │", True),
    ("│ ...      │ inkoop │", "│ 2f453257 │ sector │", False),
    ("a (…)", "a (…)", True),
    ("a (…)", "a (x)", False),
])
def test_an_elision_stands_for_any_text_and_nothing_else_does(shown, printed, match):
    assert matches(shown, printed) is match
