"""A realistic synthetic registry: vendors, tools, agreements and assessments as one bundle.

Proportions follow what the sector's registry looks like, scaled: five tools per vendor on
average but a long tail (a few publishers with hundreds), one processing agreement per
vendor for most, an assessment for about two thirds of the tools, drafts, rejections,
expired agreements, shared login hosts and sites on hosting platforms. Deterministic: the
same arguments give the same bytes. Every record is valid, so the bundle imports as is.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import msgspec

SEED = 20261128
KINDS = ("vendors", "tools", "boards", "agreements", "assessments", "board_decisions")
"""The kinds of records of a bundle, in the order they are imported."""
TODAY = dt.date(2026, 11, 28)

PREFIXES = ("Reken Taal Lees Spel Toets Klas Wereld Examen Quiz Woord Kaart Som Tafel Klok Bord "
            "Lab Atlas Muziek Code Schrijf Spelling Natuur Geschiedenis Aardrijkskunde Engels "
            "Frans Duits Mentor Rooster Cijfer Portfolio Presentatie Video Foto Film Podcast "
            "Bieb Boek Verhaal Denk Leer Oefen Slim Snel Vrolijk Groen Blauw Ster Maan Zon "
            "Vos Uil Beer Kikker Draak Robot Pixel Ëxamen Bèta Gamma Delta").split()
ROOTS = ("rijk meester maatje hulp plein tuin huis kompas sprong lab wijs kracht stad land "
         "hoek bank kist doos boom berg zee stroom vonk licht kraan brug toren poort pad weg "
         "spel vlak net plaats punt start club kamer academie").split()
VARIANTS = ("", "", "", "", "Plus", "Junior", "Online", "Studio", "Pro", "Academy", "Digitaal",
            "Basis", "Extra", "Klassikaal", "Thuis", "Go", "Kids", "Campus", "Live", "App", "Web",
            "Mobiel", "Connect", "Start", "Toets", "Oefenen", "2", "3", "XL", "Mini", "Max")
VENDOR_STEMS = ("Noorder Zuider Ooster Wester Hollandse Friese Brabantse Limburgse Zeeuwse "
                "Utrechtse Gelderse Drentse Groningse Twentse Veluwse Kempense Rijnlandse "
                "Delta Polder Duin Kust Heide Berg Dal Rivier Haven Molen Toren Brug Kompas "
                "Atlas Horizon Vonk Ster Leer Kennis Wijs Slim Edu Didactic Learn Smart Bright "
                "Future Next Open Clear Blue Green Red Prime").split()
VENDOR_ROOTS = ("licht uitgevers media educatief systemen software leermiddelen digitaal labs "
                "studio groep academie online onderwijs").split()
VENDOR_FORMS = ("B.V.", "B.V.", "B.V.", "Uitgeverij", "Stichting", "Ltd", "GmbH", "Inc.", "BV",
                "& Co")
WORDS = ("leerlingen oefenen rekenen lezen schrijven toetsen klas groep docent les methode "
         "resultaten voortgang spelenderwijs digitaal adaptief zelfstandig samenwerken "
         "taal begrip woordenschat tafels breuken spelling grammatica topografie feedback "
         "opdrachten video's quizzen portfolio rooster cijfers ouders communicatie").split()
CATEGORIES = [("learning_material", 22), ("practice", 25), ("assessment", 10),
              ("pupil_administration", 4), ("communication", 8), ("productivity", 9),
              ("content_creation", 12), ("ai_assistant", 5), ("other", 5)]
LEVELS = [(["PO"], 35), (["VO"], 35), (["PO", "VO"], 18), (["PO", "VO", "SO"], 6),
          (["SO"], 3), (["VO", "SO"], 3)]
AUDIENCES = [(["pupils"], 40), (["pupils", "teachers"], 35), (["teachers"], 12),
             (["staff"], 5), (["pupils", "teachers", "parents"], 8)]
LOCATIONS = [(["NL"], 50), (["NL", "DE"], 10), (["IE"], 12), (["DE"], 8), (["NL", "IE"], 10),
             (["US"], 3), (["IE", "US"], 3), (["GB"], 4)]
DATA_CATEGORIES = ("Naam Leerlingnummer ECK iD Toetsresultaten Voortgang Klas Groep E-mailadres "
                   "Inloggegevens Antwoorden Spraakopnamen Foto's Gebruiksgegevens").split()
SUBPROCESSORS = [("Hostingbedrijf Noord", "Hosting", "NL"), ("Cloud Europa", "Hosting", "IE"),
                 ("Mailservice", "E-mail versturen", "NL"), ("Analysebureau", "Statistiek", "DE"),
                 ("Supportdesk", "Klantenservice", "NL"), ("Global Cloud Inc.", "Hosting", "US")]
PLATFORMS = ("github.io", "azurewebsites.net", "netlify.app", "herokuapp.com", "web.app")
CONDITIONS = ("Alleen met een schoolaccount.", "Geen bijzondere persoonsgegevens invoeren.",
              "Alleen onder begeleiding van de leraar.", "Zet de chatfunctie uit.",
              "Gebruik pseudoniemen voor leerlingen.", "Niet voor leerlingen jonger dan 12 jaar.",
              "Sla geen toetsresultaten op in de vrije tekstvelden.")
ASSESSORS = ("Kennisnet", "SIVON", "Privacy Bureau Onderwijs", "Functionaris Gegevensbescherming",
             "Onderwijs Security Lab", "Stichting Leerling Privacy")


def _pick(rng: random.Random, weighted):
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(max(1, (end - start).days)))


def _sentence(rng: random.Random, n: int) -> str:
    words = rng.sample(WORDS, n)
    return (" ".join(words)).capitalize() + "."


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() and c.isascii() else "-" for c in text.lower())
    return "-".join(p for p in out.split("-") if p)[:60]


def _tools_per_vendor(rng: random.Random, n_vendors: int, n_tools: int) -> list[int]:
    """A long tail: most vendors have a few tools, a few publishers have hundreds."""
    weights = [rng.paretovariate(1.3) for _ in range(n_vendors)]
    scale = (n_tools - n_vendors) / sum(weights)
    counts = [1 + min(450, int(w * scale)) for w in weights]
    i = 0
    while sum(counts) < n_tools:  # top up the rounding, spread over vendors
        counts[i % n_vendors] += 1
        i += 7919
    while sum(counts) > n_tools:
        j = counts.index(max(counts))
        counts[j] -= 1
    return counts


def vendor(rng: random.Random, i: int) -> dict[str, Any]:
    name = (f"{rng.choice(VENDOR_STEMS)} {rng.choice(VENDOR_ROOTS).capitalize()} "
            f"{rng.choice(VENDOR_FORMS)}")
    vid = f"{_slug(name)[:40]}-{i}"
    country = _pick(rng, [("NL", 85), ("BE", 5), ("DE", 4), ("US", 3), ("GB", 2), ("IE", 1)])
    status = _pick(rng, [("participant", 45), ("supporter", 15), ("none", 40)])
    out: dict[str, Any] = {"id": vid, "name": name, "country": country,
                           "website": f"https://www.{vid}.nl", "covenant_status": status}
    if country == "NL" and rng.random() < 0.8:
        out["kvk_number"] = f"{rng.randrange(10**7, 10**8):08d}"
    if status != "none":
        out["covenant_since"] = _day(rng, dt.date(2015, 1, 1), dt.date(2026, 6, 1)).isoformat()
    if rng.random() < 0.35:
        since = _day(rng, dt.date(2021, 1, 1), dt.date(2026, 6, 1))
        out["certifications"] = [{"name": rng.choice(["ISO 27001", "NEN 7510", "ISO 27701"]),
                                  "certified_on": since.isoformat(),
                                  "valid_until": (since + dt.timedelta(days=3 * 365)).isoformat()}]
    if rng.random() < 0.5:
        out["privacy_contact"] = {"name": "Functionaris Gegevensbescherming",
                                  "email": f"privacy@{vid}.nl"}
    if rng.random() < 0.1:
        out["internal_notes"] = _sentence(rng, 12)
    return out


def tool(rng: random.Random, i: int, v: dict[str, Any], names: set[str]) -> dict[str, Any]:
    for _ in range(20):
        variant = rng.choice(VARIANTS)
        name = f"{rng.choice(PREFIXES)}{rng.choice(ROOTS)}" + (f" {variant}" if variant else "")
        if name not in names or rng.random() < 0.02:  # a few names are shared on purpose
            break
    names.add(name)
    tid = f"{_slug(name)[:40]}-{i}"
    own = rng.random() < 0.55
    label = f"{_slug(name)[:40]}{i}"
    base = f"{label}.nl" if own else v["website"].removeprefix("https://www.")
    hosts = [f"{label}.nl" if own else f"{label}.{base}"]
    if rng.random() < 0.4:
        hosts.append(f"app.{hosts[0]}")
    if not own and rng.random() < 0.3:
        hosts.append(f"login.{base}")  # shared by the vendor's tools
    if rng.random() < 0.02:
        hosts.append(f"{label}.{rng.choice(PLATFORMS)}")
    category = _pick(rng, CATEGORIES)
    personal = rng.random() < 0.9
    out: dict[str, Any] = {
        "id": tid, "vendor_id": v["id"], "name": name,
        "description": f"{name}: {_sentence(rng, 8)} {_sentence(rng, 6)}",
        "website": f"https://{hosts[0]}",
        "domains": [{"host": h, **({"include_subdomains": True} if rng.random() < 0.2 else {})}
                    for h in dict.fromkeys(hosts)],
        "category": category, "levels": _pick(rng, LEVELS), "audience": _pick(rng, AUDIENCES),
        "free_of_charge": rng.random() < 0.3,
        "processes_personal_data": personal,
        "data_locations": _pick(rng, LOCATIONS),
        "no_ads": rng.random() < 0.8, "no_profiling": rng.random() < 0.7,
        "no_commercial_use": rng.random() < 0.75,
        "pseudonymisation": {"status": _pick(rng, [("compliant", 72), ("non_compliant", 4),
                                                   ("not_applicable", 16), ("unknown", 8)])},
    }
    if rng.random() < 0.3:
        out["minimum_age"] = rng.choice([4, 6, 8, 12, 13, 16])
    if personal:
        out["data_categories"] = [{"name": n} for n in rng.sample(DATA_CATEGORIES,
                                                                  rng.randint(1, 4))]
        pool = SUBPROCESSORS if rng.random() < 0.1 else SUBPROCESSORS[:4]  # rarely the US
        out["sub_processors"] = [dict(zip(("name", "activity", "country"), s))
                                 for s in rng.sample(pool, rng.randint(0, 3))]
        out["retention"] = rng.choice(["Tot het einde van het schooljaar.",
                                       "Zes maanden na het einde van het contract.",
                                       "Twee jaar na het laatste gebruik."])
    if rng.random() < 0.05:
        out["internal_notes"] = _sentence(rng, 10)
    return out


def agreements(rng: random.Random, v: dict[str, Any], tool_ids: list[str]) -> list[dict]:
    """Most vendors: one agreement for all their tools (500 at most per agreement)."""
    if rng.random() < 0.08:
        return []
    out = []
    chunks = [tool_ids[k:k + 500] for k in range(0, len(tool_ids), 500)]
    for n, chunk in enumerate(chunks):
        status = _pick(rng, [("signed", 88), ("offered", 4), ("in_review", 5), ("terminated", 3)])
        a: dict[str, Any] = {
            "id": f"vo-{v['id']}-{n}"[:64].rstrip("-"), "vendor_id": v["id"], "tool_ids": chunk,
            "model_version": _pick(rng, [("model_4", 70), ("model_3", 22), ("general", 4),
                                         ("own", 3), ("model_2", 1)]),
            "status": status,
        }
        if status in ("signed", "terminated"):
            signed = _day(rng, dt.date(2021, 1, 1), dt.date(2026, 9, 1))
            a["signed_on"] = signed.isoformat()
            if rng.random() < 0.6:
                a["expires_on"] = (signed + dt.timedelta(days=rng.choice([1460, 1826, 2191]))
                                   ).isoformat()
        if rng.random() < 0.1:
            a["deviations"], a["deviations_summary"] = True, _sentence(rng, 9)
        if rng.random() < 0.5:
            a["privacybijsluiter_url"] = f"{v['website']}/privacybijsluiter.pdf"
            a["privacybijsluiter_version"] = f"{rng.randint(1, 5)}.{rng.randint(0, 9)}"
        out.append(a)
    return out


def assessments(rng: random.Random, t: dict[str, Any]) -> list[dict]:
    """About two thirds of the tools have a final assessment, some an older one, a few a draft."""
    out = []
    roll = rng.random()
    n_final = 0 if roll < 0.25 else (2 if roll > 0.9 else 1)
    for n in range(n_final):
        on = _day(rng, dt.date(2024, 9, 1), dt.date(2026, 11, 1)) - dt.timedelta(days=700 * n)
        outcome = _pick(rng, [("approved", 65), ("approved_with_conditions", 25),
                              ("rejected", 10)])
        a: dict[str, Any] = {
            "id": f"bo-{t['id']}-{n}"[:64].rstrip("-"), "tool_id": t["id"],
            "kind": _pick(rng, [("privacy_quickscan", 70), ("dpia", 20), ("security", 10)]),
            "assessor": rng.choice(ASSESSORS), "assessed_on": on.isoformat(), "status": "final",
            "outcome": outcome,
            "residual_risk": _pick(rng, [("low", 65), ("medium", 30), ("high", 5)]),
            "risk_counts": {"low": rng.randint(0, 6), "medium": rng.randint(0, 3),
                            "high": rng.randint(0, 1)},
            "public_summary": f"{_sentence(rng, 12)} {_sentence(rng, 10)} {_sentence(rng, 8)}",
            "source_url": f"https://beoordelingen.example.nl/{t['id']}/{n}",
        }
        if outcome == "approved_with_conditions":
            a["conditions"] = rng.sample(CONDITIONS, rng.randint(1, 3))
        if rng.random() < 0.2:
            a["internal_notes"] = _sentence(rng, 10)
        out.append(a)
    if rng.random() < 0.08:
        out.append({"id": f"bo-{t['id']}-concept"[:64].rstrip("-"), "tool_id": t["id"],
                    "kind": "dpia", "assessor": rng.choice(ASSESSORS),
                    "assessed_on": _day(rng, dt.date(2026, 6, 1), TODAY).isoformat(),
                    "status": "draft"})
    return out


def bundle(n_tools: int, n_vendors: int | None = None, seed: int = SEED) -> dict[str, Any]:
    """The synthetic registry as a bundle of builtins (vendors default to n_tools / 5)."""
    rng = random.Random(seed)
    n_vendors = n_vendors or max(1, n_tools // 5)
    counts = _tools_per_vendor(rng, n_vendors, n_tools)
    out: dict[str, list] = {"vendors": [], "tools": [], "agreements": [], "assessments": []}
    names: set[str] = set()
    i = 0
    for vi, count in enumerate(counts):
        v = vendor(rng, vi)
        out["vendors"].append(v)
        ids = []
        for _ in range(count):
            t = tool(rng, i, v, names)
            i += 1
            out["tools"].append(t)
            ids.append(t["id"])
            out["assessments"] += assessments(rng, t)
        out["agreements"] += agreements(rng, v, [t for t in ids])
    return {"description": f"Synthetic benchmark registry: {n_tools} tools, {n_vendors} vendors "
                           f"(seed {seed}); fictional.", **out}


def encode(data: dict[str, Any]) -> bytes:
    return msgspec.json.encode(data)


def queries(data: dict[str, Any], n: int = 2000, seed: int = SEED) -> list[str]:
    """What teachers paste into the check, in realistic shares: mostly URLs of registered
    tools (with a path, sometimes on a subdomain), some names, some unknown sites."""
    return [q for q, _ in asked(data, n, seed)]


def asked(data: dict[str, Any], n: int = 2000, seed: int = SEED) -> list[tuple[str, str]]:
    """`queries`, each with the id of the tool it was made from (for an unknown site or a
    made-up name too: the tool the teacher had in mind)."""
    rng = random.Random(seed + 1)
    tools = data["tools"]
    out = []
    for _ in range(n):
        t = rng.choice(tools)
        roll = rng.random()
        host = rng.choice(t["domains"])["host"]
        if roll < 0.55:
            q = f"https://{host}/klas/{rng.randint(1, 40)}?les={rng.randint(1, 9)}"
        elif roll < 0.65:
            q = f"{host}"
        elif roll < 0.72:
            q = f"https://leerling.{host}/start"
        elif roll < 0.85:
            q = t["name"]
        elif roll < 0.93:
            q = f"https://onbekend{rng.randint(1, 10**6)}.example.com/opdracht"
        else:
            q = f"{rng.choice(PREFIXES)} {rng.choice(ROOTS)}"
        out.append((q, t["id"]))
    return out
