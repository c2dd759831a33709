"""Synthetic school boards on top of the synthetic registry (`benchmarks.synth`): boards with
their schools, their decisions on tools and their own processing agreements, and the
questions their teachers ask the check.

Proportions follow what the sector knows, scaled: about 1,000 boards at 100,000 tools
(the Netherlands has about 1,000 boards in PO and VO), many of them with one school; about
600 of the 1,000 sign their own agreements (4,875 agreements with 105 vendors in October
2023), each with a few vendors and for a few of that vendor's tools. Decisions fall on the
tools teachers ask about (in the benchmark: the tools its questions were made from), so
about half of the questions with a board meet that board's own decision or agreement: a
board is stricter on a tool (not allowed at all, or only with its own conditions) or
approves one the sector has not assessed on its own assessment. A board's own approval of
a tool the sector rejected is refused by the default policy, so own approvals go only to
tools the sector has not judged, and that stays so.
Deterministic and independent of `synth.bundle`'s random numbers: adding boards leaves
every other record as it was.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from benchmarks.synth import SEED, TODAY, VENDOR_STEMS, _day, _pick

BOARD_SEED = SEED + 17
FORMS = ("Stichting", "Stichting", "Vereniging", "Stichting Openbaar Onderwijs",
         "Stichting Katholiek Onderwijs", "Vereniging Christelijk Onderwijs", "Scholengroep")
PLACES = ("Demostad Voorbeeldrijk Proefdorp Testervoort Fictiedam Nergenshuizen Zandbergen "
          "Ruimzicht Bovenveld Benedenwaard Oostermeer Westerhoven Noordbroek Zuidhorst").split()
SCHOOL_TYPES = [(["PO"], 55), (["VO"], 25), (["PO", "SO"], 8), (["SO"], 4), (["PO", "VO"], 8)]
SCHOOLS = [((1, 1), 40), ((2, 5), 30), ((6, 20), 22), ((21, 60), 8)]
REASONS = (
    "Het bestuur gebruikt voor dit vak al een ander programma.",
    "De tool vraagt meer gegevens van leerlingen dan het bestuur nodig vindt.",
    "Het bestuur heeft de tool zelf onderzocht met een eigen DPIA.",
    "Eerst overleg met de medezeggenschapsraad over het gebruik in de klas.",
    "Alleen voor oudere leerlingen; jongere leerlingen maken geen account.",
    "Het bestuur heeft een eigen verwerkersovereenkomst met de leverancier getekend.",
)
DECIDERS = ("College van bestuur", "Rector-bestuurder", "Algemeen directeur",
            "Bestuur van de vereniging", "Directeur-bestuurder")
BOARD_CONDITIONS = ("Alleen in de bovenbouw.", "Alleen met toestemming van de ouders.",
                    "Niet voor toetsen of cijfers.", "Alleen op apparaten van school.",
                    "Geen foto's of video's van leerlingen uploaden.")


def add_boards(data: dict[str, Any], n_boards: int, popular: Sequence[str] = (),
               seed: int = BOARD_SEED) -> dict[str, Any]:
    """`data` (a `synth.bundle`) with `n_boards` boards, their decisions and agreements.

    Decisions and agreements fall on a pool of tools, the first most often: the `popular`
    ones (the tools teachers ask about, `synth.asked`), then a twentieth of the others."""
    rng = random.Random(seed)
    tools = data["tools"]
    by_id = {t["id"]: t for t in tools}
    first = [by_id[i] for i in dict.fromkeys(popular)]
    chosen = {t["id"] for t in first}
    rest = [t for t in tools if t["id"] not in chosen]
    pool = first + rng.sample(rest, min(len(rest), max(50, len(tools) // 20)))
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(pool))]  # a few tools everyone uses
    by_vendor = defaultdict(list)
    for t in tools:
        by_vendor[t["vendor_id"]].append(t["id"])
    approvable = _approvable(data, {t["id"] for t in pool})
    ids = sorted(rng.sample(range(10_000, 100_000), n_boards))
    codes: set[str] = set()
    boards, decisions, agreements = [], [], []
    for number in ids:
        board = _board(rng, f"{number:05d}", codes)
        boards.append(board)
        chosen = {t["id"]: t for t in rng.choices(pool, weights, k=_decision_count(rng))}
        decisions += [_decision(rng, board["id"], tool_id, tool_id in approvable)
                      for tool_id in sorted(chosen)]
        if rng.random() < 0.6:
            signed_with = rng.choices(pool, weights, k=rng.randint(1, 9))
            vendors = list(dict.fromkeys(t["vendor_id"] for t in signed_with))
            agreements += [_agreement(rng, board["id"], k, v, by_vendor[v])
                           for k, v in enumerate(vendors)]
    return {**data, "boards": boards, "agreements": data["agreements"] + agreements,
            "board_decisions": decisions,
            "description": f"{data['description']} With {n_boards} school boards."}


def _approvable(data: dict[str, Any], pool: set[str]) -> set[str]:
    """The tools of `pool` a board may approve on its own under the default policy, on any
    day: the sector has not judged them (not assessed or under review) and that never
    changes by itself."""
    import msgspec

    from registry.models import AgreementIn, AssessmentIn, ToolIn
    from registry.policy import load_policy
    from registry.verdict import VerdictCode, evaluate

    policy = load_policy()
    agreements, assessments = defaultdict(list), defaultdict(list)
    for a in data["agreements"]:
        for tool_id in a["tool_ids"]:
            if tool_id in pool:
                agreements[tool_id].append(a)
    for a in data["assessments"]:
        if a["tool_id"] in pool:
            assessments[a["tool_id"]].append(a)
    out = set()
    for t in data["tools"]:
        if t["id"] not in pool:
            continue
        verdict = evaluate(msgspec.convert(t, ToolIn), None,
                           msgspec.convert(agreements[t["id"]], list[AgreementIn]),
                           msgspec.convert(assessments[t["id"]], list[AssessmentIn]),
                           policy, TODAY)
        if verdict.code in (VerdictCode.not_assessed, VerdictCode.under_review) \
                and verdict.valid_until is None:
            out.add(t["id"])
    return out


def _school_code(rng: random.Random, codes: set[str]) -> str:
    while True:
        code = f"{rng.randrange(100):02d}{chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}"
        if rng.random() < 0.2:
            code += f"{rng.randint(1, 9):02d}"  # one location of a school
        if code not in codes:
            codes.add(code)
            return code


def _board(rng: random.Random, board_id: str, codes: set[str]) -> dict[str, Any]:
    name = f"{rng.choice(FORMS)} {rng.choice(VENDOR_STEMS)} {rng.choice(PLACES)} (fictief)"
    low, high = _pick(rng, SCHOOLS)
    out: dict[str, Any] = {
        "id": board_id, "name": name, "school_types": _pick(rng, SCHOOL_TYPES),
        "schools": [_school_code(rng, codes) for _ in range(rng.randint(low, high))],
    }
    if rng.random() < 0.7:
        out["website"] = f"https://www.bestuur{board_id}.example.nl"
    if rng.random() < 0.1:
        out["internal_notes"] = "Fictief: contact via het bestuursbureau."
    return out


def _decision_count(rng: random.Random) -> int:
    """Most boards follow the sector on everything; some decide on a few tools, a few on
    dozens (about 10 a board on average)."""
    if rng.random() < 0.3:
        return 0
    return min(60, int(rng.paretovariate(1.3) * 4))


def _decision(rng: random.Random, board_id: str, tool_id: str, approvable: bool
              ) -> dict[str, Any]:
    decided = _day(rng, dt.date(2024, 1, 1), TODAY + dt.timedelta(days=60))  # a few ahead
    out: dict[str, Any] = {
        "id": f"{board_id}-{tool_id}", "board_id": board_id, "tool_id": tool_id,
        "reason": rng.choice(REASONS), "decided_on": decided.isoformat(),
        "decided_by": rng.choice(DECIDERS),
    }
    if approvable and rng.random() < 0.6:
        out["decision"] = "own_approval"
        if rng.random() < 0.5:
            out["conditions"] = rng.sample(BOARD_CONDITIONS, rng.randint(1, 2))
    elif rng.random() < 0.5:
        out["decision"], out["not_allowed"] = "stricter", True
    else:
        out["decision"] = "stricter"
        out["conditions"] = rng.sample(BOARD_CONDITIONS, rng.randint(1, 2))
    if rng.random() < 0.15:  # some have ended already, some end later
        out["ends_on"] = (decided + dt.timedelta(days=rng.randint(180, 730))).isoformat()
    if rng.random() < 0.1:
        out["internal_notes"] = "Fictief: besproken in het privacyoverleg."
    return out


def _agreement(rng: random.Random, board_id: str, k: int, vendor_id: str,
               vendor_tools: list[str]) -> dict[str, Any]:
    """A board's own agreement with one vendor, for one to five of its tools."""
    status = _pick(rng, [("signed", 90), ("offered", 3), ("in_review", 4), ("terminated", 3)])
    out: dict[str, Any] = {
        "id": f"bvo-{board_id}-{k}", "vendor_id": vendor_id, "party": board_id,
        "tool_ids": sorted(rng.sample(vendor_tools, min(len(vendor_tools), rng.randint(1, 5)))),
        "model_version": _pick(rng, [("model_4", 75), ("model_3", 20), ("own", 5)]),
        "status": status,
    }
    if status in ("signed", "terminated"):
        signed = _day(rng, dt.date(2022, 1, 1), TODAY)
        out["signed_on"] = signed.isoformat()
        if rng.random() < 0.7:
            out["expires_on"] = (signed + dt.timedelta(days=rng.choice([730, 1460]))).isoformat()
    return out


def asked_with_boards(data: dict[str, Any], asked: list[tuple[str, str]],
                      seed: int = BOARD_SEED + 1) -> list[tuple[str, str]]:
    """The same questions (`synth.asked`: query and the tool it was made from), each with
    the board of the teacher who asks: for a tool some boards decided on or signed for,
    mostly one of those boards (the board's row is the point of the figure), otherwise any
    board (it follows the sector)."""
    rng = random.Random(seed)
    boards = [b["id"] for b in data["boards"]]
    deciding = defaultdict(set)
    for d in data["board_decisions"]:
        deciding[d["tool_id"]].add(d["board_id"])
    for a in data["agreements"]:
        if a.get("party", "sector") != "sector":
            for tool_id in a["tool_ids"]:
                deciding[tool_id].add(a["party"])
    out = []
    for q, tool_id in asked:
        own = sorted(deciding.get(tool_id, ()))
        out.append((q, rng.choice(own) if own and rng.random() < 0.8 else rng.choice(boards)))
    return out
