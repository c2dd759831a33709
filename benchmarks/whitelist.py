"""Publish a synthetic registry and serve it with Datasette in-process; print the timings.

    python benchmarks/whitelist.py --tools 10000

Not a test: numbers depend on the machine. The Datasette figures use its in-process client
(no network, one request at a time), with the plugin and datasette-metadata.json loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

from datasette.app import Datasette

from registry import models
from registry.db import Registry
from registry.publish import publish

ROOT = Path(__file__).parent.parent
TODAY = dt.date(2026, 11, 28)
WORDS = ("Reken Taal Lees Spel Toets Klas Wereld Examen Ëxamen Quiz Woord Kaart Som Tafel Klok "
         "Bord Lab Atlas Muziek Code").split()
CATEGORIES = list(models.Category)
LEVELS = [["PO"], ["VO"], ["PO", "VO"], ["PO", "VO", "SO"], ["SO"]]


def fill(registry: Registry, n_tools: int) -> None:
    per_vendor = 10
    with registry.write():
        for v in range(n_tools // per_vendor):
            vendor = f"leverancier-{v}"
            registry.create("vendors", models.VendorIn(
                id=vendor, name=f"Leverancier {v} B.V.", country="NL",
                covenant_status=models.CovenantStatus.participant,
            ), "bench")
            tool_ids = []
            for t in range(per_vendor):
                i = v * per_vendor + t
                tool_id = f"tool-{i}"
                tool_ids.append(tool_id)
                registry.create("tools", models.ToolIn(
                    id=tool_id, vendor_id=vendor,
                    name=f"{WORDS[i % len(WORDS)]}{WORDS[(i // 7) % len(WORDS)].lower()} {i}",
                    description=f"Oefenen met {WORDS[(i // 3) % len(WORDS)].lower()} voor de klas.",
                    category=CATEGORIES[i % len(CATEGORIES)], levels=LEVELS[i % len(LEVELS)],
                    domains=[models.ToolDomain(host=f"app{i}.leverancier-{v}.nl"),
                             models.ToolDomain(host=f"login{i}.leverancier-{v}.nl")],
                    data_locations=["NL"] if i % 13 else ["US"],
                    pseudonymisation=models.Pseudonymisation(status="compliant"),
                ), "bench")
                if i % 5:
                    registry.create("assessments", models.AssessmentIn(
                        id=f"beoordeling-{i}", tool_id=tool_id, kind="privacy_quickscan",
                        assessor="Kennisnet Demo", assessed_on=dt.date(2026, 1, 1 + i % 28),
                        status="final",
                        outcome="approved" if i % 4 else "approved_with_conditions",
                        residual_risk="low", conditions=[] if i % 4 else ["Alleen met schoolaccount."],
                    ), "bench")
            registry.create("agreements", models.AgreementIn(
                id=f"overeenkomst-{v}", vendor_id=vendor, tool_ids=tool_ids,
                model_version="model_4", status="signed", signed_on=dt.date(2026, 1, 1),
            ), "bench")


def rate(datasette: Datasette, path: str, n: int) -> float:
    async def run() -> float:
        response = await datasette.client.get(path)  # warm up
        assert response.status_code == 200, (path, response.status_code)
        start = time.perf_counter()
        for _ in range(n):
            await datasette.client.get(path)
        return n / (time.perf_counter() - start)

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    registry = Registry(folder / "registry.db")
    registry.migrate()
    start = time.perf_counter()
    fill(registry, args.tools)
    print(f"filled the registry with {args.tools} tools in {time.perf_counter() - start:.1f} s")
    out = folder / "witte-lijst.db"
    for attempt in ("first", "second"):
        start = time.perf_counter()
        done = publish(registry, out, TODAY, "bench")
        print(f"publish ({attempt}): {time.perf_counter() - start:.2f} s, "
              f"{out.stat().st_size / 1e6:.1f} MB, {done.counts}")
    metadata = json.loads((ROOT / "datasette-metadata.json").read_text())
    for mode, kwargs in (("mutable", {"files": [str(out)]}), ("immutable", {"immutables": [str(out)]})):
        datasette = Datasette(metadata=metadata, **kwargs)
        for label, path in (
            ("JSON search, one tool", "/witte-lijst/tools.json?_search=rekentaal+1234&_size=20"),
            ("JSON search, 1 in 12 tools", "/witte-lijst/tools.json?_search=reken&_size=20"),
            ("HTML search, one tool", "/witte-lijst/tools?_search=rekentaal+1234"),
            ("HTML table page", "/witte-lijst/tools"),
            ("HTML table page, PO filter", "/witte-lijst/tools?level_codes__arraycontains=PO"),
            ("canned query toegestaan_po (JSON)", "/witte-lijst/toegestaan_po.json"),
        ):
            print(f"{mode:9} {label:36} {rate(datasette, path, args.requests):7.1f} requests/s")


if __name__ == "__main__":
    main()
