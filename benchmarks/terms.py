"""What teachers type in the whitelist's search box: a long tail of distinct terms and a
few hot ones (issue 19), instead of the 400 repeated words of `run.search_terms`.

    python -m benchmarks.terms [FOLDER]     # (re)write FOLDER/search-mix.json from its bundle

The mix (`search-mix.json` beside the bundle) is a list of requests in the order wrk asks
them: `LONG_TAIL` distinct terms (distinct after folding, as the index folds them), each
asked once per pass, and `HOT` popular words that make up `HOT_SHARE` of the requests. The
long tail: a whole word of a tool's name (half of them), a vendor's word, the start of a
word as typed so far, two words, and words that match nothing. Deterministic: the same
names give the same list. Made from the bundle's names alone (a narrow decode of
bundle.json, a few seconds at 100,000 tools), so an existing data folder gets it without
generating the registry again.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import msgspec

from benchmarks.synth import SEED

LONG_TAIL = 4_400
HOT = 10
HOT_SHARE = 0.2
FILE = "search-mix.json"
NONSENSE = "bcdfghjklmnpqrstvwxz"


class _Named(msgspec.Struct):
    name: str


class _Names(msgspec.Struct):
    tools: list[_Named] = []
    vendors: list[_Named] = []


def names_from_bundle(bundle: Path) -> tuple[list[str], list[str]]:
    """The names of the tools and of the vendors in a bundle (everything else skipped)."""
    names = msgspec.json.decode(bundle.read_bytes(), type=_Names)
    return [t.name for t in names.tools], [v.name for v in names.vendors]


def _words(names: list[str]) -> list[str]:
    """The distinct words of `names` of three letters or more, sorted (a stable order)."""
    return sorted({w for n in names for w in n.split() if len(w) >= 3 and w.isalpha()})


def _typed(rng: random.Random, term: str) -> str:
    """As a teacher types it: mostly lower case, sometimes as written."""
    return term if rng.random() < 0.25 else term.lower()


def long_tail(tools: list[str], vendors: list[str], n: int = LONG_TAIL,
              seed: int = SEED + 19) -> list[str]:
    """`n` terms, distinct after folding: whole words of tool names (50%), vendor words
    (10%), starts of words (15%), two words (15%) and words that match nothing (10%)."""
    from registry.domains import name_key

    rng = random.Random(seed)
    tool_words, vendor_words = _words(tools), _words(vendors)
    kinds = [("word", 50), ("vendor", 10), ("partial", 15), ("two", 15), ("nothing", 10)]
    out: dict[str, str] = {}
    attempts = 0
    while len(out) < n:
        attempts += 1
        kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        if attempts > 50 * n:  # a tiny registry: fill up with words that match nothing
            kind = "nothing"
        if kind == "word":
            term = _typed(rng, rng.choice(tool_words))
        elif kind == "vendor":
            term = _typed(rng, rng.choice(vendor_words))
        elif kind == "partial":
            word = rng.choice(tool_words)
            term = word[:rng.randint(3, max(3, len(word) - 1))].lower()
        elif kind == "two":
            name = rng.choice(tools).split()
            term = _typed(rng, " ".join(name[:2]) if len(name) > 1 else
                          f"{name[0]} {rng.choice(vendor_words)}")
        else:
            term = "".join(rng.choice(NONSENSE) for _ in range(rng.randint(5, 9)))
        key = name_key(term)
        if key and key not in out:
            out[key] = term
    return list(out.values())


def hot(tools: list[str], k: int = HOT, seed: int = SEED + 20) -> list[str]:
    """The `k` words most tools' names start with: what many teachers look for."""
    from collections import Counter

    counts = Counter(n.split()[0].lower() for n in tools if n.split())
    ranked = sorted(counts, key=lambda w: (-counts[w], w))
    top = ranked[:max(k * 3, k)]
    return random.Random(seed).sample(top, min(k, len(top)))


def mix(tools: list[str], vendors: list[str], n: int = LONG_TAIL,
        share: float = HOT_SHARE, seed: int = SEED + 21) -> list[str]:
    """The requests of one pass: the long tail once each and the hot terms, together
    `share` of the pass, shuffled."""
    tail = long_tail(tools, vendors, n)
    popular = hot(tools)
    repeats = round(len(tail) * share / (1 - share) / max(1, len(popular)))
    out = tail + [t for t in popular for _ in range(repeats)]
    random.Random(seed).shuffle(out)
    return out


def describe(requests: list[str]) -> str:
    """'4,400 distinct terms, 10 hot ones 20% of 5,500 requests' for a figure's note."""
    from collections import Counter

    from registry.domains import name_key

    counts = Counter(name_key(t) for t in requests)
    hot_terms = [t for t, c in counts.items() if c > 1]
    share = sum(counts[t] for t in hot_terms) / max(1, len(requests))
    return (f"{len(counts):,} distinct terms; {len(hot_terms)} hot ones make "
            f"{share:.0%} of {len(requests):,} requests")


def ensure(folder: Path, say=lambda _: None) -> list[str]:
    """The mix of the data in `folder`, made from its bundle when the file is missing."""
    path = folder / FILE
    if not path.exists():
        say(f"Making the long-tail search mix ({LONG_TAIL:,} terms) from {folder / 'bundle.json'}")
        tools, vendors = names_from_bundle(folder / "bundle.json")
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(mix(tools, vendors), ensure_ascii=False))
        tmp.replace(path)
    return json.loads(path.read_text())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(__file__).parent / "out" / "100000"
    (folder / FILE).unlink(missing_ok=True)
    print(describe(ensure(folder, print)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
