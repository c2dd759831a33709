"""Servers, wrk and memory: start a granian server on 127.0.0.1, load it, sample its memory.

Every process started here gets a bounded life: servers are stopped (SIGINT, then SIGKILL of
their own process group) when their `with` block ends, wrk runs for a fixed duration, jobs
have a timeout.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
WRK_SCRIPT = HERE / "wrk.lua"
WRK_MISSING = (
    "wrk, the HTTP load generator, is not installed. On Debian or Ubuntu: "
    "`sudo apt-get update && sudo apt-get install -y wrk` (macOS: `brew install wrk`). "
    "Or run with --no-http to skip the HTTP figures."
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- memory ---------------------------------------------------------------------------------

MEMORY_FIELDS = {"Rss": "rss", "Pss": "pss", "Anonymous": "anon"}


def memory(pid: int) -> dict[str, float] | None:
    """RSS, proportional and anonymous memory of one process in MB (smaps_rollup), or None.

    RSS counts the file pages SQLite maps (mmap) and shared libraries in full in every
    process; anonymous memory is what the process itself allocated, PSS shares the rest out.
    """
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                name, _, rest = line.partition(":")
                if name in MEMORY_FIELDS:
                    out[MEMORY_FIELDS[name]] = int(rest.split()[0]) / 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return out or None


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (read from /proc, which works without `children`)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += parents.get(p, [])
    return out


@dataclass
class Peak:
    """The highest memory seen per process, and of all of them together, while sampling."""

    per_process: dict[int, dict[str, float]] = field(default_factory=dict)
    total: dict[str, float] = field(default_factory=dict)
    samples: int = 0

    def add(self, sample: dict[int, dict[str, float]]) -> None:
        self.samples += 1
        totals: dict[str, float] = {}
        for pid, values in sample.items():
            seen = self.per_process.setdefault(pid, {})
            for k, v in values.items():
                seen[k] = max(seen.get(k, 0.0), v)
                totals[k] = totals.get(k, 0.0) + v
        for k, v in totals.items():
            self.total[k] = max(self.total.get(k, 0.0), v)

    def merge(self, other: Peak) -> None:
        for pid, values in other.per_process.items():
            seen = self.per_process.setdefault(pid, {})
            for k, v in values.items():
                seen[k] = max(seen.get(k, 0.0), v)
        for k, v in other.total.items():
            self.total[k] = max(self.total.get(k, 0.0), v)
        self.samples += other.samples

    def largest(self, key: str, pids: list[int] | None = None) -> float:
        chosen = [v.get(key, 0.0) for p, v in self.per_process.items() if pids is None or p in pids]
        return max(chosen, default=0.0)


@contextmanager
def sampling(root_pid: int, every: float = 0.1):
    """Sample the memory of `root_pid` and its descendants in a thread until the block ends."""
    peak, stop = Peak(), threading.Event()

    def run() -> None:
        pids, found = [], 0.0
        while not stop.is_set():
            if time.monotonic() - found > 2:  # scanning /proc costs more than sampling
                pids, found = descendants(root_pid), time.monotonic()
            sample = {p: m for p in pids if (m := memory(p))}
            if sample:
                peak.add(sample)
            stop.wait(every)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


# --- jobs in a child process ----------------------------------------------------------------


def run_job(args: list[str], timeout: float) -> tuple[dict, Peak, float]:
    """Run `python -m benchmarks.jobs ARGS` and return (its JSON result, its memory peak,
    its peak RSS from the kernel in MB)."""
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.jobs", *args],
                            stdout=subprocess.PIPE, cwd=HERE.parent, start_new_session=True)
    with sampling(proc.pid, every=0.05) as peak:
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise RuntimeError(f"benchmark job {args[0]} took longer than {timeout:.0f} s") from None
    if proc.returncode:
        raise RuntimeError(f"benchmark job {args[0]} failed (exit {proc.returncode})")
    result = json.loads(out.decode().strip().splitlines()[-1])
    return result, peak, result.pop("maxrss_mb", 0.0)


# --- servers --------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen
    base: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def workers(self) -> list[int]:
        return [p for p in descendants(self.pid) if p != self.pid]


@contextmanager
def serve(target: str, env: dict[str, str], workers: int, ready_path: str,
          start_timeout: float = 120):
    """granian with the settings of `registry serve` on a free port, until the block ends."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.serve", target, str(port), str(workers)],
        env={**os.environ, **env}, cwd=HERE.parent, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    server = Server(proc, f"http://127.0.0.1:{port}")
    try:
        _wait_ready(server, ready_path, workers, start_timeout)
        yield server
    finally:
        _stop(proc)


def _wait_ready(server: Server, path: str, workers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            err = server.process.stderr.read().decode(errors="replace")[-3000:]
            raise RuntimeError(f"the server stopped while starting:\n{err}")
        try:
            with urllib.request.urlopen(server.base + path, timeout=30) as r:
                if r.status == 200 and len(server.workers()) >= workers:
                    # every worker answers: warm each one up with a few requests
                    for _ in range(4 * workers):
                        urllib.request.urlopen(server.base + path, timeout=30).read()
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {path} within {timeout:.0f} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # granian stops its workers on SIGINT
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # anything left in the server's own group
    except ProcessLookupError:
        pass
    proc.wait()


# --- wrk ------------------------------------------------------------------------------------


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


@dataclass
class Load:
    requests: int
    seconds: float
    errors: int
    non_2xx: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        """Successful answers per second: non-2xx answers and socket errors do not count."""
        return (self.requests - self.non_2xx) / self.seconds if self.seconds else 0.0


def wrk(base: str, paths: list[str], *, connections: int, seconds: float, threads: int = 2,
        timeout_s: int = 30, start: int = 0) -> Load:
    """Load `base` with wrk, cycling through `paths` from `paths[start]` on (each thread at
    its own place after it); latencies from wrk's own histogram."""
    if not wrk_available():
        raise RuntimeError(WRK_MISSING)
    start %= max(1, len(paths))
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths[start:] + paths[:start]) + "\n")
        list_path = f.name
    try:
        result = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:.0f}s",
             f"--timeout={timeout_s}s", "-s", str(WRK_SCRIPT), base],
            env={**os.environ, "WRK_PATHS": list_path}, capture_output=True, text=True,
            timeout=seconds + timeout_s + 30,
        )
    finally:
        os.unlink(list_path)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode or not lines:
        raise RuntimeError(f"wrk failed: {result.stderr or result.stdout}")
    r = json.loads(lines[-1])
    errors = sum(r[k] for k in ("connect", "read", "write", "timeout"))
    return Load(requests=r["requests"], seconds=r["duration_us"] / 1e6, errors=errors,
                non_2xx=r["status"], p50_ms=r["p50"] / 1e3, p90_ms=r["p90"] / 1e3,
                p99_ms=r["p99"] / 1e3, max_ms=r["max"] / 1e3)
