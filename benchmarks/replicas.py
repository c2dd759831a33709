"""Read-only replicas: the check API on `registry serve --read-only` next to the full server,
and 1, 2 and 3 replicas (one worker each) behind nginx, as tests/test_load_balancer.py runs
them (`registry.deploy.nginx_config`).

    python -m benchmarks --only replicas      # in the table with the other figures
    python -m benchmarks.replicas             # alone, on the data of the last run

Memory is each worker's anonymous memory at its peak under load (smaps_rollup): what a
replica really costs, without the shared libraries and the file's pages that RSS counts.
The judged figure (issue 19: at most 64 MB) is a read-only worker's peak under check load,
with the full server's worker under the same load as its reference; the same worker after
/lijst search pages (Datasette loaded on first use) is reported next to it.
All replicas here read the same published file; on separate machines each has its own copy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

from benchmarks import load

READ_ONLY_APP = "benchmarks.replicas:read_only_app"
HEALTH = "/api/health"
CONNECTIONS = 32
ANON_TARGET_MB = 64
"""A read-only worker's anonymous memory under check load (issues 18 and 19)."""


def read_only_app():
    """The app of `registry serve --read-only` (`read_app_from_env`), with rate-limit stores
    that forget: wrk sends everything from one address (see `benchmarks.apps`)."""
    from registry.limits import LIMITS, CountingStore
    from registry.whitelist.app import read_app_from_env

    class ForgetfulStore(CountingStore):
        def hit(self, key, limit, seconds):
            counted = super().hit(key, limit, seconds)
            self._windows.pop(key)
            return counted

    app = read_app_from_env()
    for config in LIMITS:
        app.stores.register(config.store, ForgetfulStore(), allow_override=True)
    return app


@contextmanager
def nginx(replicas: list[str], worker_processes: int = 1):
    """nginx on a free port of 127.0.0.1 in front of `replicas`, until the block ends."""
    from registry.deploy import NGINX, nginx_config

    with tempfile.TemporaryDirectory(prefix="replicas-nginx-") as runtime:
        port = load.free_port()
        conf = Path(runtime) / "nginx.conf"
        conf.write_text(nginx_config(f"127.0.0.1:{port}", replicas, Path(runtime),
                                     worker_processes=worker_processes))
        proc = subprocess.Popen([NGINX, "-e", f"{runtime}/error.log", "-c", str(conf),
                                 "-g", "daemon off;"], start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        server = load.Server(proc, f"http://127.0.0.1:{port}")
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(server.base + HEALTH, timeout=5).read()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("nginx did not start: "
                                           + proc.stderr.read().decode(errors="replace"))
                    time.sleep(0.2)
            yield server
        finally:
            load._stop(proc)


def _env(folder: Path) -> dict[str, str]:
    from benchmarks.web import server_env

    return server_env(folder)


def _replicas(stack: ExitStack, folder: Path, n: int) -> list[load.Server]:
    """`n` read-only replicas of one worker each, stopped with `stack`."""
    return [stack.enter_context(load.serve(READ_ONLY_APP, _env(folder), 1, HEALTH))
            for _ in range(n)]


def _anon(peak: load.Peak, workers: list[int]) -> float:
    return peak.largest("anon", workers)


TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pids: list[int]) -> float:
    """CPU seconds (user and system) the processes `pids` used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def _machine_cpu() -> float:
    """CPU seconds all cores spent busy so far (/proc/stat)."""
    user, nice, system, idle, iowait, *rest = map(int, Path("/proc/stat").read_text()
                                                  .splitlines()[0].split()[1:])
    return (user + nice + system + sum(rest[:3])) / TICK


@contextmanager
def cpu_shares(groups: dict[str, list[int]]):
    """Cores each group of processes kept busy during the block, and the rest of the
    machine (wrk, and whatever else runs): {name: cores}."""
    shares: dict[str, float] = {}
    before = {name: _cpu(pids) for name, pids in groups.items()}
    machine, start = _machine_cpu(), time.monotonic()
    yield shares
    seconds = time.monotonic() - start
    for name, pids in groups.items():
        shares[name] = (_cpu(pids) - before[name]) / seconds
    shares["rest"] = (_machine_cpu() - machine) / seconds - sum(shares.values())


def bench(folder: Path, seconds: float, say, rounds: int = 2) -> list:
    """The figures (as `benchmarks.figures.Figure`s) of the replicas group."""
    from registry.deploy import NGINX

    queries = json.loads((folder / "queries.json").read_text())
    paths = [f"/api/check?q={urllib.parse.quote(q, safe='')}" for q in queries]
    measure = _measurer(paths, seconds, say, rounds)
    figures = _read_only(folder, measure, seconds, say)
    if not os.path.exists(NGINX):
        say(f"Replicas: no nginx at {NGINX}; skipping the load balancer")
        return figures
    return figures + _behind_nginx(folder, measure, say)


def _measurer(paths: list[str], seconds: float, say, rounds: int):
    from benchmarks.web import _run

    def measure(server, label: str, sampled: list | None = None):
        """The best of `rounds` runs on `server`, and the memory peak of `sampled` (the
        servers whose workers count; `server` itself by default)."""
        best, peak = None, load.Peak()
        for n in range(rounds):
            with ExitStack() as stack:
                peaks = [stack.enter_context(load.sampling(s.pid))
                         for s in (sampled or [server])]
                r = _run(server, paths, CONNECTIONS, seconds, say, f"{label} (round {n + 1})",
                         HEALTH, warm=n == 0)
            for p in peaks:
                peak.merge(p)
            best = r if best is None or r.rps > best.rps else best
        return best, peak

    return measure


def _read_only(folder: Path, measure, seconds: float, say) -> list:
    """The read-only replica next to the full server: throughput, and a worker's anonymous
    memory under check load (judged), then after /lijst search pages."""
    from benchmarks.apps import HELLO_PATH
    from benchmarks.figures import Figure, _ratio, judged
    from benchmarks.web import WORKERS, _run

    terms = json.loads((folder / "searches.json").read_text())
    pages = [f"/lijst/witte-lijst/tools?_search={urllib.parse.quote(t)}" for t in terms[:100]]
    say(f"Replicas: the full server, {WORKERS} workers")
    with load.serve("benchmarks.apps:registry_app", _env(folder), WORKERS, HELLO_PATH) as full:
        full_r, full_peak = measure(full, "full server /api/check")
        full_anon = _anon(full_peak, full.workers())
    say(f"Replicas: a read-only replica, {WORKERS} workers")
    with load.serve(READ_ONLY_APP, _env(folder), WORKERS, HEALTH) as ro:
        ro_r, ro_peak = measure(ro, "read-only /api/check")
        check_anon, check_peak = _anon(ro_peak, ro.workers()), load.Peak()
        check_peak.merge(ro_peak)
        with load.sampling(ro.pid) as page_peak:
            _run(ro, pages, 8, seconds, say, "read-only /lijst search pages", HEALTH)
        ro_peak.merge(page_peak)
        ro_anon, ro_workers = _anon(ro_peak, ro.workers()), ro.workers()
    return [
        Figure(f"read-only replica, check API, {WORKERS} workers", ro_r.rps, "requests/s",
               full_r.rps, f"full server, {WORKERS} workers", _ratio(ro_r.rps, full_r.rps),
               note=f"p50 {ro_r.p50_ms:.1f} ms, p99 {ro_r.p99_ms:.1f} ms (full server "
                    f"p99 {full_r.p99_ms:.1f} ms)"),
        judged(Figure(
            "read-only worker anonymous memory under check load", check_anon, "MB", full_anon,
            "full server worker under check load", _ratio(check_anon, full_anon),
            note=f"largest of {len(ro_workers)} workers; RSS "
                 f"{check_peak.largest('rss', ro_workers):.0f} MB, PSS "
                 f"{check_peak.largest('pss', ro_workers):.0f} MB (issue 19)"),
            "value<=", ANON_TARGET_MB),
        Figure("read-only worker anonymous memory after /lijst search pages", ro_anon, "MB",
               check_anon, "the same worker under check load", _ratio(ro_anon, check_anon),
               note=f"check API, then /lijst search pages (100 of the 400 words); RSS "
                    f"{ro_peak.largest('rss', ro_workers):.0f} MB, PSS "
                    f"{ro_peak.largest('pss', ro_workers):.0f} MB"),
    ]


def _behind_nginx(folder: Path, measure, say) -> list:
    """One replica asked directly, then 1, 2 and 3 replicas of one worker behind nginx."""
    from benchmarks.figures import Figure, _ratio

    say("Replicas: one replica of one worker, asked directly")
    with load.serve(READ_ONLY_APP, _env(folder), 1, HEALTH) as one:
        direct, _ = measure(one, "1 replica, direct")
    behind = {}
    for n in (1, 2, 3):
        say(f"Replicas: {n} behind nginx (one worker each, nginx with one worker)")
        with ExitStack() as stack:
            servers = _replicas(stack, folder, n)
            lb = stack.enter_context(nginx([s.base.removeprefix("http://") for s in servers]))
            replicas = [p for s in servers for p in load.descendants(s.pid)]
            with cpu_shares({"replicas": replicas, "nginx": load.descendants(lb.pid)}) as cpu:
                r, peak = measure(lb, f"{n} behind nginx", servers)
            behind[n] = (r, _anon(peak, [w for s in servers for w in s.workers()]), cpu)
            say(f"  cores busy: replicas {cpu['replicas']:.2f}, nginx {cpu['nginx']:.2f}, "
                f"wrk and the rest {cpu['rest']:.2f}")
    one_r = behind[1][0]
    figures = [Figure("1 replica behind nginx, check API", one_r.rps, "requests/s",
                      direct.rps, "the same replica asked directly",
                      _ratio(one_r.rps, direct.rps),
                      note=f"p99 {one_r.p99_ms:.1f} ms; replica worker anonymous "
                           f"{behind[1][1]:.0f} MB; {_cores(behind[1][2])}")]
    for n in (2, 3):
        r, anon, cpu = behind[n]
        figures.append(Figure(
            f"{n} replicas behind nginx, check API", r.rps, "requests/s", one_r.rps,
            "1 replica behind nginx", _ratio(r.rps, one_r.rps),
            note=f"p99 {r.p99_ms:.1f} ms; largest replica worker anonymous {anon:.0f} MB; "
                 f"{_cores(cpu)}"))
    return figures


def _cores(cpu: dict[str, float]) -> str:
    return (f"cores busy of {os.cpu_count()}: replicas {cpu['replicas']:.2f}, nginx "
            f"{cpu['nginx']:.2f}, wrk and the rest {cpu['rest']:.2f}")


def main(argv: list[str] | None = None) -> int:
    import argparse

    from benchmarks.figures import table
    from benchmarks.run import data_dir

    parser = argparse.ArgumentParser(prog="python -m benchmarks.replicas",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--tools", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    folder = data_dir(args.tools)
    if not all((folder / name).exists() for name in ("witte-lijst.db", "board-checks.json")):
        print(f"No published file in {folder}: run `python -m benchmarks --tools {args.tools} "
              "--only publish` first.", file=sys.stderr)
        return 2
    if not load.wrk_available():
        print(load.WRK_MISSING, file=sys.stderr)
        return 2

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    figures = bench(folder, args.seconds, say, args.rounds)
    print(table(figures))
    for f in figures:
        if f.note:
            print(f"- {f.name}: {f.note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
