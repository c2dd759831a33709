"""Run every benchmark and print one table: figure, value, reference, ratio, target.

    python -m benchmarks                 # 100,000 tools (about 15 minutes on 2 cores)
    python -m benchmarks --quick         # 5,000 tools and shorter load runs
    python -m benchmarks --only incremental,whitelist   # reuse the data of the last run

Each figure has a reference measured in the same run on the same machine, so the ratio
means something on a noisy shared machine where the absolute numbers wander. Results go to
benchmarks/out/results.json (and results-<tools>.json); figures of groups a run leaves out
are carried over from the last run that had them (marked so in their note). The synthetic
data is generated once per size and kept under benchmarks/out/<tools>/ (the long-tail
search mix, `benchmarks.terms`, is made from the kept bundle when it is missing). Not a
test: nothing here fails a build.

The groups (`--only`, comma-separated; all by default):

- import: the product's import (full validation, audit events) against msgspec validation
  and a raw executemany of the same rows; and its peak memory;
- publish: a full publication (`publish(..., full=True)`) against a raw copy of the
  published rows; and its peak memory against the copy's;
- incremental: 100 tools changed (`registry.update`), then the default publication, which
  goes incrementally from the served file; against the raw copy of the same run;
- check: the check function in process (with and without a school board);
- lists: the back office's list queries;
- api: the check API over HTTP against a hello-world route on the same server, and with
  the server's kept answers off (`benchmarks.web`);
- whitelist: the whitelist's JSON search, table and search pages with kept answers on and
  off, for 400 repeated words and a long tail of 4,000+ distinct terms; judged on the long
  tail without kept answers, against plain Datasette on the same file (`benchmarks.web`);
- replicas: `registry serve --read-only` next to the full server (a read-only worker's
  anonymous memory under check load), and replicas behind nginx (`benchmarks.replicas`).

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
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

from benchmarks import boards, load, synth, terms
from benchmarks.figures import Figure, _ratio, judged, table
from benchmarks.web import WORKERS, bench_http

HERE = Path(__file__).parent
OUT = HERE / "out"
GROUPS = ("import", "publish", "incremental", "check", "lists", "api", "whitelist",
          "replicas")
HTTP_GROUPS = {"api", "whitelist", "replicas"}
__all__ = ["Figure", "_ratio", "judged", "table", "WORKERS", "main"]


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
        (folder / terms.FILE).write_text(json.dumps(
            terms.mix([t["name"] for t in data["tools"]], [v["name"] for v in data["vendors"]]),
            ensure_ascii=False))
        tmp.replace(bundle_path)
        say(f"  {sum(len(data[k]) for k in synth.KINDS):,} records "
            f"({len(data['boards']):,} boards, {len(data['board_decisions']):,} decisions), "
            f"{bundle_path.stat().st_size / 1e6:.0f} MB, {time.perf_counter() - start:.0f} s")
    terms.ensure(folder, say)
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


IMPORT_RUNS = 2
"""The import and its reference each run twice, in turn, the faster run of each counting: one
run of each swung their ratio from 0.46× to 0.55× between two runs on one machine."""


def bench_import(folder: Path, bundle: Path, say, memory: dict) -> list[Figure]:
    say("Import: the product's import (full validation, audit events), against msgspec "
        f"validation alone + raw executemany of the same rows, {IMPORT_RUNS} runs each in turn")
    runs, refs = [], []
    for n in range(1, IMPORT_RUNS + 1):
        runs.append(load.run_job(["import", str(bundle), str(folder / "registry.db")], 3600))
        say(f"  import, run {n}: {runs[-1][0]['records']:,} records in "
            f"{runs[-1][0]['seconds']:.1f} s")
        refs.append(load.run_job(
            ["import-reference", str(bundle), str(folder / "reference.db")], 3600))
        (folder / "reference.db").unlink(missing_ok=True)
        ref = refs[-1][0]
        say(f"  reference, run {n}: {ref['seconds']:.1f} s (validation "
            f"{ref['validate_seconds']:.1f} s, insert {ref['insert_seconds']:.1f} s)")
    done, peak, maxrss = min(runs, key=lambda run: run[0]["seconds"])
    ref, ref_peak, ref_maxrss = min(refs, key=lambda run: run[0]["seconds"])
    rate, ref_rate = done["records"] / done["seconds"], ref["records"] / ref["seconds"]
    memory["import"] = (peak, maxrss, ref_peak, ref_maxrss, "validation + raw insert", None)
    return [judged(Figure(
        f"import of {done['records']:,} records", rate, "records/s", ref_rate,
        "msgspec validation + raw executemany", _ratio(rate, ref_rate),
        note=f"{done['seconds']:.1f} s vs {ref['seconds']:.1f} s, the faster of "
             f"{IMPORT_RUNS} runs each"), "ratio>=", 0.7)]


def bench_publish(folder: Path, say, memory: dict, references: dict) -> list[Figure]:
    out = folder / "witte-lijst.db"
    say("Publish: build, check, compact and replace the whitelist file (full=True)")
    done, peak, maxrss = load.run_job(["publish", str(folder / "registry.db"), str(out)], 3600)
    say(f"  {done['counts']['tools']:,} tools in {done['seconds']:.1f} s, "
        f"{done['bytes'] / 1e6:.0f} MB")
    ref, ref_peak, ref_maxrss = _raw_copy(folder, say, references)
    memory["publish"] = (peak, maxrss, ref_peak, ref_maxrss, "raw copy", 1.2)
    note = f"file {done['bytes'] / 1e6:.0f} MB"
    return [judged(Figure(
        f"publish of {done['counts']['tools']:,} tools", done["seconds"], "s", ref["seconds"],
        "raw copy of the published rows", _ratio(done["seconds"], ref["seconds"]),
        note=note), "ratio<=", 2.0)]


def _raw_copy(folder: Path, say, references: dict) -> tuple:
    """The reference of both publish groups, measured once per run."""
    if "raw copy" not in references:
        say("Publish reference: a raw copy of the same rows into a fresh file")
        references["raw copy"] = load.run_job(
            ["publish-reference", str(folder / "witte-lijst.db"), str(folder / "copy.db")], 3600)
        (folder / "copy.db").unlink(missing_ok=True)
        say(f"  {references['raw copy'][0]['rows']:,} rows in "
            f"{references['raw copy'][0]['seconds']:.1f} s")
    return references["raw copy"]


def bench_incremental(folder: Path, say, memory: dict, references: dict) -> list[Figure]:
    """100 tools changed, then the default publication: incremental from the served file
    when the product can (its progress says "Incremental:"), else a full rebuild."""
    out = folder / "witte-lijst.db"
    ref, ref_peak, ref_maxrss = _raw_copy(folder, say, references)
    say("Incremental: change 100 tools, then publish (the default: from the served file)")
    done, peak, maxrss = load.run_job(
        ["publish-changed", str(folder / "registry.db"), str(out)], 3600)
    how = done["incremental"] or "a full rebuild (progress said no \"Incremental:\")"
    say(f"  {done['changed']} tools changed; published in {done['seconds']:.1f} s: {how}")
    name = f"publish after {done['changed']} changed tools"
    memory["incremental publish"] = (peak, maxrss, ref_peak, ref_maxrss, "raw copy", None)
    note = ((how if done["incremental"] else f"NOT incremental: {how}")
            + f"; file {done['bytes'] / 1e6:.0f} MB")
    return [judged(Figure(
        name, done["seconds"], "s", ref["seconds"], "raw copy of the published rows",
        _ratio(done["seconds"], ref["seconds"]), note=note), "ratio<=", 0.2)]


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


def memory_figures(memory: dict) -> list[Figure]:
    out = []
    for job, (peak, maxrss, ref_peak, ref_maxrss, ref_name, limit) in memory.items():
        figure = Figure(
            f"{job} peak memory", maxrss, "MB RSS", ref_maxrss, ref_name,
            _ratio(maxrss, ref_maxrss),
            note=f"anonymous {peak.total.get('anon', 0):.0f} MB (reference "
                 f"{ref_peak.total.get('anon', 0):.0f} MB)")
        out.append(judged(figure, "ratio<=", limit) if limit else figure)
    return out


def group_of(figure: Figure) -> str:
    name = figure.name
    for word, group in (("replica", "replicas"), ("read-only", "replicas"),
                        ("import", "import"), ("changed tools", "incremental"),
                        ("incremental", "incremental"),
                        ("publish", "publish"), ("whitelist", "whitelist"),
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
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tools", type=int, default=100_000, help="size of the registry")
    parser.add_argument("--quick", action="store_true",
                        help="5,000 tools and 5 s load runs, to try it out")
    parser.add_argument("--seconds", type=float, default=None,
                        help="duration of each measured load run (default 10, quick 5)")
    parser.add_argument("--only", default=",".join(GROUPS),
                        help=f"comma-separated groups (default all): {', '.join(GROUPS)}")
    parser.add_argument("--no-http", action="store_true", help="skip the groups that need wrk")
    args = parser.parse_args(argv)
    tools = 5_000 if args.quick and args.tools == 100_000 else args.tools
    seconds = args.seconds or (5 if args.quick else 10)
    groups = {g.strip() for g in args.only.split(",") if g.strip()}
    if unknown := groups - set(GROUPS):
        parser.error(f"unknown groups {sorted(unknown)}; choose from {', '.join(GROUPS)}")
    if args.no_http:
        groups -= HTTP_GROUPS
    if groups & HTTP_GROUPS and not load.wrk_available():
        print(load.WRK_MISSING, file=sys.stderr)
        return 2

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    started = time.perf_counter()
    folder = data_dir(tools)
    bundle = prepare_data(tools, say)
    figures: list[Figure] = []
    memory, references = {}, {}
    if "import" in groups or not (folder / "registry.db").exists():
        figures += bench_import(folder, bundle, say, memory)
    if "publish" in groups or not (folder / "witte-lijst.db").exists():
        figures += bench_publish(folder, say, memory, references)
    if "incremental" in groups:
        figures += bench_incremental(folder, say, memory, references)
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
