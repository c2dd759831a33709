"""Run every benchmark and print one table: figure, value, reference, ratio, target.

    python -m benchmarks                 # 100,000 tools (about 10-15 minutes on 2 cores)
    python -m benchmarks --quick         # 5,000 tools and shorter load runs
    python -m benchmarks --only api,whitelist   # reuse the data of the last run

Each figure has a reference measured in the same run on the same machine, so the ratio
means something on a noisy shared machine where the absolute numbers wander. Results go to
benchmarks/out/results.json (and results-<tools>.json); the synthetic data is generated once
per size and kept under benchmarks/out/<tools>/. Not a test: nothing here fails a build.

The synthetic registry has school boards (`benchmarks.boards`: one per 100 tools, with
decisions and agreements of their own); the check is measured with the asker's board
(`/api/check?q=...&bestuur=NNNNN`, the same questions) against the check without one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from benchmarks import boards, load, synth
from benchmarks.apps import HELLO_PATH

HERE = Path(__file__).parent
OUT = HERE / "out"
GROUPS = ("import", "publish", "check", "lists", "api", "whitelist", "replicas")
CHECK_CONNECTIONS = 32
WHITELIST_CONNECTIONS = 8
WORKERS = 2  # `registry serve`'s default, one per core here


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    reference: float | None = None
    reference_name: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""


def _ratio(value: float, reference: float | None) -> float | None:
    return value / reference if reference else None


def judged(figure: Figure, kind: str, limit: float) -> Figure:
    """Set the target of a figure: `ratio>=`, `ratio<=`, `value>=` or `value<=` a limit."""
    subject, op = kind[:-2], kind[-2:]
    got = figure.ratio if subject == "ratio" else figure.value
    unit = "×" if subject == "ratio" else f" {figure.unit}"
    figure.target = f"{op.replace('>=', '≥').replace('<=', '≤')} {limit:g}{unit}"
    if got is not None:
        figure.met = got >= limit if op == ">=" else got <= limit
    return figure


# --- data -----------------------------------------------------------------------------------


def data_dir(tools: int) -> Path:
    return OUT / str(tools)


def boards_for(tools: int) -> int:
    """About 1,000 school boards at 100,000 tools, as in the Netherlands."""
    return max(3, tools // 100)


def prepare_data(tools: int, say) -> Path:
    """The bundle and the query lists for `tools` tools, generated once and kept. Data of
    a run before school boards (no board-checks.json) is made again, with what was built
    from it."""
    folder = data_dir(tools)
    folder.mkdir(parents=True, exist_ok=True)
    bundle_path = folder / "bundle.json"
    if bundle_path.exists() and not (folder / "board-checks.json").exists():
        say("The kept synthetic registry has no school boards: generating it again")
        for name in ("bundle.json", "registry.db", "witte-lijst.db"):
            (folder / name).unlink(missing_ok=True)
    if not bundle_path.exists():
        say(f"Generating a synthetic registry of {tools:,} tools and {boards_for(tools):,} "
            "school boards")
        start = time.perf_counter()
        data = synth.bundle(tools)
        asked = synth.asked(data, 4000)  # the same with boards: they leave the tools alone
        data = boards.add_boards(data, boards_for(tools), popular=[t for _, t in asked])
        tmp = bundle_path.with_suffix(".tmp")
        tmp.write_bytes(synth.encode(data))
        (folder / "queries.json").write_text(json.dumps([q for q, _ in asked]))
        (folder / "searches.json").write_text(json.dumps(search_terms(data)))
        (folder / "board-checks.json").write_text(
            json.dumps(boards.asked_with_boards(data, asked)))
        tmp.replace(bundle_path)
        say(f"  {sum(len(data[k]) for k in synth.KINDS):,} records "
            f"({len(data['boards']):,} boards, {len(data['board_decisions']):,} decisions), "
            f"{bundle_path.stat().st_size / 1e6:.0f} MB, {time.perf_counter() - start:.0f} s")
    return bundle_path


def search_terms(data: dict, n: int = 400) -> list[str]:
    """Words teachers search for: mostly the first word of a tool's name (a few dozen tools
    each at 100,000), some a vendor's name (about 2% of the tools each)."""
    from registry.domains import name_key

    rng = random.Random(synth.SEED + 2)
    out = []
    for _ in range(n):
        if rng.random() < 0.8:
            out.append(name_key(rng.choice(data["tools"])["name"]).split()[0])
        else:
            out.append(name_key(rng.choice(synth.VENDOR_STEMS)))
    return out


# --- the benchmarks -------------------------------------------------------------------------


def bench_import(folder: Path, bundle: Path, say, memory: dict) -> list[Figure]:
    say("Import: the product's import (full validation, audit events)")
    done, peak, maxrss = load.run_job(["import", str(bundle), str(folder / "registry.db")], 3600)
    say(f"  {done['records']:,} records in {done['seconds']:.1f} s")
    say("Import reference: msgspec validation alone + raw executemany of the same rows")
    ref, ref_peak, ref_maxrss = load.run_job(
        ["import-reference", str(bundle), str(folder / "reference.db")], 3600)
    (folder / "reference.db").unlink(missing_ok=True)
    say(f"  {ref['seconds']:.1f} s (validation {ref['validate_seconds']:.1f} s, insert "
        f"{ref['insert_seconds']:.1f} s)")
    rate, ref_rate = done["records"] / done["seconds"], ref["records"] / ref["seconds"]
    memory["import"] = (peak, maxrss, ref_peak, ref_maxrss, "validation + raw insert")
    return [judged(Figure(
        f"import of {done['records']:,} records", rate, "records/s", ref_rate,
        "msgspec validation + raw executemany", _ratio(rate, ref_rate),
        note=f"{done['seconds']:.1f} s vs {ref['seconds']:.1f} s"), "ratio>=", 0.5)]


def bench_publish(folder: Path, say, memory: dict) -> list[Figure]:
    out = folder / "witte-lijst.db"
    say("Publish: build, check, compact and replace the whitelist file")
    done, peak, maxrss = load.run_job(["publish", str(folder / "registry.db"), str(out)], 3600)
    say(f"  {done['counts']['tools']:,} tools in {done['seconds']:.1f} s, "
        f"{done['bytes'] / 1e6:.0f} MB")
    say("Publish reference: a raw copy of the same rows into a fresh file")
    ref, ref_peak, ref_maxrss = load.run_job(
        ["publish-reference", str(out), str(folder / "copy.db")], 3600)
    (folder / "copy.db").unlink(missing_ok=True)
    say(f"  {ref['rows']:,} rows in {ref['seconds']:.1f} s")
    memory["publish"] = (peak, maxrss, ref_peak, ref_maxrss, "raw copy")
    return [judged(Figure(
        f"publish of {done['counts']['tools']:,} tools", done["seconds"], "s", ref["seconds"],
        "raw copy of the published rows", _ratio(done["seconds"], ref["seconds"]),
        note=f"file {done['bytes'] / 1e6:.0f} MB"), "ratio<=", 2.0)]


def bench_check(folder: Path, say) -> list[Figure]:
    say("Check in process: PublishedWhitelist.check against a bare point lookup")
    done, _, _ = load.run_job(["check", str(folder / "witte-lijst.db"),
                               str(folder / "queries.json")], 600)
    per_s, ref_per_s = done["n"] / done["check_seconds"], done["n"] / done["lookup_seconds"]
    say(f"  {per_s:,.0f} checks/s, {ref_per_s:,.0f} lookups/s")
    figures = [Figure("check function in process", per_s, "checks/s", ref_per_s,
                      "SELECT * FROM tools WHERE id = ?", _ratio(per_s, ref_per_s),
                      note=f"{1e6 / per_s:.0f} µs per check; answers {done['statuses']}")]
    say("Check in process with a board: the same questions with the asker's board, against "
        "them without one")
    done, _, _ = load.run_job(["check-boards", str(folder / "witte-lijst.db"),
                               str(folder / "board-checks.json")], 600)
    if "skipped" in done:
        say(f"  skipped: {done['skipped']}")
        return figures
    per_s, ref_per_s = done["n"] / done["board_seconds"], done["n"] / done["check_seconds"]
    say(f"  {per_s:,.0f} checks/s with a board, {ref_per_s:,.0f} without")
    return figures + [judged(Figure(
        "check function with a board in process", per_s, "checks/s", ref_per_s,
        "the same questions without a board", _ratio(per_s, ref_per_s),
        note=f"{1e6 / per_s:.0f} µs per check; {done['decided']:,} of {done['n']:,} answers "
             "carry a board's own decision"), "ratio>=", 0.9)]


def bench_lists(folder: Path, say) -> list[Figure]:
    say("Back-office lists: each list query of /beheer on the imported registry")
    done, _, _ = load.run_job(["lists", str(folder / "registry.db")], 600)
    slowest = max(done["seconds"], key=done["seconds"].get)
    value, ref = done["seconds"][slowest] * 1000, done["reference_seconds"] * 1000
    for label, seconds in done["seconds"].items():
        say(f"  {label}: {seconds * 1000:.1f} ms ({done['totals'][label]:,} match)")
    return [judged(Figure(
        "back-office list page, slowest query", value, "ms", ref,
        "first 50 tools by id", _ratio(value, ref),
        note=f"slowest: {slowest}; " + ", ".join(
            f"{label} {seconds * 1000:.0f} ms" for label, seconds in done["seconds"].items())),
        "value<=", 250)]


def _server_env(folder: Path, cache_mb: int | None = None) -> dict[str, str]:
    env = {"REGISTRY_DB": str(folder / "registry.db"),
           "REGISTRY_WHITELIST": str(folder / "witte-lijst.db"),
           "REGISTRY_TODAY": synth.TODAY.isoformat()}
    return env if cache_mb is None else env | {"REGISTRY_CACHE_MB": str(cache_mb)}


def _settle(server, path: str, limit: float = 120) -> None:
    """Wait until the server has worked off what wrk left queued: a slow page keeps the
    workers busy after wrk has closed its connections, and would slow the next run."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        start = time.perf_counter()
        try:
            urllib.request.urlopen(server.base + path, timeout=limit).read()
        except OSError:
            pass
        if time.perf_counter() - start < 0.2:
            return
        time.sleep(0.5)


WARM_RUNS = 12


def _run(server, paths: list[str], connections: int, seconds: float, say, label: str,
         settle: str, warm: bool = True):
    if warm:
        # Until the rate stops rising: the server keeps answers per publication, and a
        # steady state (the same questions again and again) is what is measured. At most
        # WARM_RUNS short runs; each path is asked about once per worker long before that.
        before = 0.0
        for _ in range(WARM_RUNS):
            rps = load.wrk(server.base, paths, connections=connections,
                           seconds=min(3, seconds)).rps
            _settle(server, settle)
            if rps < before * 1.15:
                break
            before = rps
    result = load.wrk(server.base, paths, connections=connections, seconds=seconds)
    if result.requests < 20:  # a slow page: measure longer, so the figure rests on enough
        _settle(server, settle)
        result = load.wrk(server.base, paths, connections=connections, seconds=6 * seconds)
    _settle(server, settle)
    say(f"  {label}: {result.rps:,.1f} requests/s, p50 {result.p50_ms:.1f} ms, "
        f"p99 {result.p99_ms:.1f} ms"
        + (f", {result.non_2xx} non-2xx, {result.errors} errors"
           if result.non_2xx or result.errors else ""))
    if result.non_2xx + result.errors > result.requests / 20 or not result.requests:
        raise RuntimeError(f"{label}: {result.requests} answers, {result.non_2xx} non-2xx and "
                           f"{result.errors} socket errors; the figure would not mean anything")
    return result


def _memory_figure(name: str, peak: load.Peak, ref: load.Peak, ref_name: str,
                   workers: list[int]) -> Figure:
    rss, ref_rss = peak.total.get("rss", 0.0), ref.total.get("rss", 0.0)
    note = (f"PSS {peak.total.get('pss', 0):.0f} MB, anonymous {peak.total.get('anon', 0):.0f} "
            f"MB; largest worker RSS {peak.largest('rss', workers):.0f} MB, anonymous "
            f"{peak.largest('anon', workers):.0f} MB (reference PSS "
            f"{ref.total.get('pss', 0):.0f} MB, anonymous {ref.total.get('anon', 0):.0f} MB)")
    return Figure(name, rss, "MB RSS", ref_rss, ref_name, _ratio(rss, ref_rss), note=note)


def bench_http(folder: Path, groups: set[str], seconds: float, rounds: int, say
               ) -> list[Figure]:
    figures: list[Figure] = []
    queries = json.loads((folder / "queries.json").read_text())
    terms = json.loads((folder / "searches.json").read_text())
    check_paths = [f"/api/check?q={urllib.parse.quote(q, safe='')}" for q in queries]
    board_paths = [f"/api/check?q={urllib.parse.quote(q, safe='')}&bestuur={board}"
                   for q, board in json.loads((folder / "board-checks.json").read_text())]
    ours, defaults = {}, {}
    say(f"HTTP: the registry app, granian with {WORKERS} workers")
    with load.serve("benchmarks.apps:registry_app", _server_env(folder), WORKERS,
                    HELLO_PATH) as server:
        workers = server.workers()
        if "api" in groups:
            # Alternate hello world, the check and the check with a board, keeping each one's
            # best run: on a shared machine the neighbours' load comes and goes, and
            # alternating exposes them alike (the two checks swap places every round).
            loads = {"hello": [HELLO_PATH], "check": check_paths, "board": board_paths}
            labels = {"hello": "hello world, same app", "check": "/api/check",
                      "board": "/api/check&bestuur="}
            mem = {key: load.Peak() for key in loads}
            best: dict[str, load.Load] = {}
            for n in range(rounds):
                for key in ("hello", *(("check", "board") if n % 2 == 0 else ("board", "check"))):
                    with load.sampling(server.pid) as peak:
                        r = _run(server, loads[key], CHECK_CONNECTIONS, seconds, say,
                                 f"{labels[key]} (round {n + 1})", HELLO_PATH, warm=n == 0)
                    mem[key].merge(peak)
                    best[key] = r if key not in best or r.rps > best[key].rps else best[key]
            hello, check, board = best["hello"], best["check"], best["board"]
            hello_mem, check_mem, board_mem = mem["hello"], mem["check"], mem["board"]
            figures += [
                judged(Figure(f"check API throughput, {CHECK_CONNECTIONS} connections",
                              check.rps, "requests/s", hello.rps, "hello-world route",
                              _ratio(check.rps, hello.rps), note=_failures(check).lstrip("; ")),
                       "ratio>=", 0.7),
                Figure("check API p50 latency", check.p50_ms, "ms", hello.p50_ms,
                       "hello-world route", _ratio(check.p50_ms, hello.p50_ms)),
                judged(Figure("check API p99 latency", check.p99_ms, "ms", hello.p99_ms,
                              "hello-world route", _ratio(check.p99_ms, hello.p99_ms)),
                       "value<=", 15),
                judged(_memory_figure("server memory under check load", check_mem, hello_mem,
                                      "same server under hello-world load", workers),
                       "value<=", 150),
                *_board_figures(board, check, board_mem, check_mem, workers),
            ]
        if "whitelist" in groups:
            with load.sampling(server.pid) as list_mem:
                ours = _whitelist(server, "/lijst", terms, seconds, say, HELLO_PATH)
            figures.append(_memory_figure(
                "server memory under whitelist load", list_mem,
                check_mem if "api" in groups else load.Peak(),
                "same server under check load" if "api" in groups else "", workers))
    say("HTTP: the registry app with its caches off (--cache-mb 0), every answer worked out")
    with load.serve("benchmarks.apps:registry_app", _server_env(folder, cache_mb=0), WORKERS,
                    HELLO_PATH) as server:
        if "api" in groups:
            r = _run(server, check_paths, CHECK_CONNECTIONS, seconds, say,
                     "/api/check, cache off", HELLO_PATH)
            b = _run(server, board_paths, CHECK_CONNECTIONS, seconds, say,
                     "/api/check&bestuur=, cache off", HELLO_PATH)
            figures += [
                Figure("check API throughput, cache off", r.rps, "requests/s", hello.rps,
                       "hello-world route (above)", _ratio(r.rps, hello.rps),
                       note=f"p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms" + _failures(r)),
                judged(Figure("check API with a board, cache off", b.rps, "requests/s", r.rps,
                              "the same questions without a board, cache off",
                              _ratio(b.rps, r.rps),
                              note=f"p50 {b.p50_ms:.1f} ms, p99 {b.p99_ms:.1f} ms"
                                   + _failures(b)), "ratio>=", 0.9),
            ]
        if "whitelist" in groups:
            cold = _whitelist(server, "/lijst", terms, seconds, say, HELLO_PATH)
    if "whitelist" in groups:
        say(f"HTTP: Datasette with its default settings, no plugins, granian with {WORKERS} "
            "workers")
        with load.serve("benchmarks.apps:datasette_defaults", _server_env(folder), WORKERS,
                        "/-/versions.json", start_timeout=300) as server:
            defaults = _whitelist(server, "", terms, seconds, say, "/-/versions.json")
        targets = {"json": ("value>=", 300), "table": ("value>=", 100)}
        for key, label in (("json", "whitelist JSON search"),
                           ("table", "whitelist HTML table page"),
                           ("search", "whitelist HTML search page")):
            figure = Figure(f"{label}, {WHITELIST_CONNECTIONS} connections", ours[key].rps,
                            "requests/s", defaults[key].rps, "Datasette defaults, same file",
                            _ratio(ours[key].rps, defaults[key].rps),
                            note=f"p99 {ours[key].p99_ms:.0f} ms (defaults "
                                 f"{defaults[key].p99_ms:.0f} ms)" + _failures(ours[key])
                                 + _failures(defaults[key], " (defaults)"))
            figures.append(judged(figure, *targets[key]) if key in targets else figure)
            figures.append(Figure(
                f"{label}, cache off", cold[key].rps, "requests/s", defaults[key].rps,
                "Datasette defaults, same file", _ratio(cold[key].rps, defaults[key].rps),
                note=f"p99 {cold[key].p99_ms:.0f} ms" + _failures(cold[key])))
    return figures


def _board_figures(board: load.Load, check: load.Load, board_mem: load.Peak,
                   check_mem: load.Peak, workers: list[int]) -> list[Figure]:
    """The check with the asker's board (`&bestuur=`) against the same questions without
    one, in the same rounds: the acceptance of issue 17 is a ratio of at least 0.9."""
    return [
        judged(Figure(f"check API with a board, throughput, {CHECK_CONNECTIONS} connections",
                      board.rps, "requests/s", check.rps, "the same questions without a board",
                      _ratio(board.rps, check.rps), note=_failures(board).lstrip("; ")),
               "ratio>=", 0.9),
        Figure("check API with a board, p99 latency", board.p99_ms, "ms", check.p99_ms,
               "the same questions without a board", _ratio(board.p99_ms, check.p99_ms),
               note=f"p50 {board.p50_ms:.1f} ms (without a board {check.p50_ms:.1f} ms)"),
        _memory_figure("server memory under check load with a board", board_mem, check_mem,
                       "same server under check load without a board", workers),
    ]


def _failures(result: load.Load, whose: str = "") -> str:
    if not (result.non_2xx or result.errors):
        return ""
    return (f"; {result.non_2xx} non-2xx answers and {result.errors} socket errors{whose} "
            "(not counted)")


def _whitelist(server, prefix: str, terms: list[str], seconds: float, say,
               settle: str) -> dict:
    base = f"{prefix}/witte-lijst/tools"
    q = [urllib.parse.quote(t) for t in terms]
    return {
        "json": _run(server, [f"{base}.json?_search={t}&_size=20" for t in q],
                     WHITELIST_CONNECTIONS, seconds, say, f"{base}.json?_search=", settle),
        "table": _run(server, [base], WHITELIST_CONNECTIONS, seconds, say, base, settle),
        "search": _run(server, [f"{base}?_search={t}" for t in q], WHITELIST_CONNECTIONS,
                       seconds, say, f"{base}?_search=", settle),
    }


def memory_figures(memory: dict) -> list[Figure]:
    out = []
    for job, (peak, maxrss, ref_peak, ref_maxrss, ref_name) in memory.items():
        out.append(Figure(
            f"{job} peak memory", maxrss, "MB RSS", ref_maxrss, ref_name,
            _ratio(maxrss, ref_maxrss),
            note=f"anonymous {peak.total.get('anon', 0):.0f} MB (reference "
                 f"{ref_peak.total.get('anon', 0):.0f} MB)"))
    return out


def group_of(figure: Figure) -> str:
    name = figure.name
    for word, group in (("replica", "replicas"), ("read-only", "replicas"),
                        ("import", "import"), ("publish", "publish"), ("whitelist", "whitelist"),
                        ("in process", "check"), ("back-office", "lists")):
        if word in name:
            return group
    return "api"


def _with_earlier(figures: list[Figure], tools: int) -> list[Figure]:
    """The figures of this run, and for groups it did not run those of the last run that
    did (marked with its date), in the usual order."""
    path = OUT / f"results-{tools}.json"
    done = {group_of(f) for f in figures}
    earlier = []
    if path.exists():
        previous = json.loads(path.read_text())
        for f in previous["figures"]:
            figure = Figure(**f)
            if group_of(figure) not in done:
                if "earlier run" not in figure.note:
                    date = previous["environment"]["date"][:16].replace("T", " ")
                    figure.note = (f"{figure.note}; " if figure.note else "") + \
                        f"from an earlier run ({date} UTC)"
                earlier.append(figure)
    order = {g: n for n, g in enumerate(GROUPS)}
    return sorted(figures + earlier, key=lambda f: (order[group_of(f)], "memory" in f.name))


# --- output ---------------------------------------------------------------------------------


def _num(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "reference", "ratio", "target", "")]
    for f in figures:
        met = "" if f.met is None else ("met" if f.met else "MISSED")
        rows.append((f.name, f"{_num(f.value)} {f.unit}",
                     f"{_num(f.reference)} ({f.reference_name})" if f.reference else "",
                     f"{f.ratio:.2f}×" if f.ratio is not None else "", f.target, met))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def environment(tools: int, seconds: float) -> dict:
    versions = {}
    for name in ("litestar", "granian", "msgspec", "datasette", "sqlite-utils"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    import sqlite3

    return {"tools": tools, "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "load_seconds": seconds, "workers": WORKERS,
            "versions": versions}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--tools", type=int, default=100_000, help="size of the registry")
    parser.add_argument("--quick", action="store_true",
                        help="5,000 tools and 5 s load runs, to try it out")
    parser.add_argument("--seconds", type=float, default=None,
                        help="duration of each measured load run (default 10, quick 5)")
    parser.add_argument("--only", default=",".join(GROUPS),
                        help=f"comma-separated groups: {', '.join(GROUPS)}")
    parser.add_argument("--no-http", action="store_true", help="skip the groups that need wrk")
    args = parser.parse_args(argv)
    tools = 5_000 if args.quick and args.tools == 100_000 else args.tools
    seconds = args.seconds or (5 if args.quick else 10)
    groups = {g.strip() for g in args.only.split(",") if g.strip()}
    if unknown := groups - set(GROUPS):
        parser.error(f"unknown groups {sorted(unknown)}; choose from {', '.join(GROUPS)}")
    if args.no_http:
        groups -= {"api", "whitelist", "replicas"}
    if groups & {"api", "whitelist", "replicas"} and not load.wrk_available():
        print(load.WRK_MISSING, file=sys.stderr)
        return 2

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    started = time.perf_counter()
    folder = data_dir(tools)
    bundle = prepare_data(tools, say)
    figures: list[Figure] = []
    memory: dict = {}
    if "import" in groups or not (folder / "registry.db").exists():
        figures += bench_import(folder, bundle, say, memory)
    if "publish" in groups or not (folder / "witte-lijst.db").exists():
        figures += bench_publish(folder, say, memory)
    if "check" in groups:
        figures += bench_check(folder, say)
    if "lists" in groups:
        figures += bench_lists(folder, say)
    if groups & {"api", "whitelist"}:
        figures += bench_http(folder, groups, seconds, 2 if args.quick else 3, say)
    if "replicas" in groups:
        from benchmarks import replicas

        figures += replicas.bench(folder, seconds, say, 2 if args.quick else 3)
    figures += memory_figures(memory)
    figures = _with_earlier(figures, tools)

    result = {"environment": environment(tools, seconds),
              "total_seconds": time.perf_counter() - started,
              "figures": [asdict(f) for f in figures]}
    OUT.mkdir(exist_ok=True)
    for path in (OUT / "results.json", OUT / f"results-{tools}.json"):
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"\n{tools:,} tools, {os.cpu_count()} CPUs, {seconds:g} s per load run, "
          f"{result['total_seconds'] / 60:.1f} minutes in all\n")
    print(table(figures))
    for f in figures:
        if f.note:
            print(f"- {f.name}: {f.note}")
    print(f"\nWritten to {OUT / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
