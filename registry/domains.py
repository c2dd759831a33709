"""URL → host → registrable domain, read the way a browser reads it.

A teacher's verdict is only as good as the host we look up, and that must be the host the
browser will actually visit. Python's `urllib.parse` and tldextract split URLs with their own
rules: both read `https://evil.example\\@tool.example` as `tool.example`, while browsers
treat the backslash as a slash and visit `evil.example`. So URLs are parsed with ada, an
implementation of the WHATWG URL standard that browsers follow; it also handles IDN
(punycode), percent-encoded hosts, fullwidth dots, odd IPv4 forms and stray tabs and
newlines exactly as the standard says. tldextract is used only on the clean host, with its
bundled Public Suffix List (never fetched) including private suffixes, so every github.io
site is its own registrable domain.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from typing import Literal

import ada_url
import msgspec
import tldextract

MAX_INPUT = 2000

MSG_EMPTY = "Typ een webadres of de naam van een tool."
MSG_TOO_LONG = (
    "Dit is te lang. Plak alleen het adres van de website (niet meer dan 2000 tekens) "
    "of typ de naam van de tool."
)
MSG_NOT_WEB = (
    "Dit is geen webadres van een website. "
    "Plak een adres dat begint met https:// of typ de naam van de tool."
)
MSG_BAD_URL = "Dit webadres klopt niet. Controleer het adres of typ de naam van de tool."

# Schemes a browser handles itself rather than by visiting a website. Anything else before a
# colon ("Snappet: rekenen") is more likely part of a tool name.
_OTHER_SCHEMES = frozenset(
    "about blob chrome data edge file filesystem ftp intent javascript mailto sms tel "
    "vbscript view-source ws wss".split()
)
# A scheme as WHATWG spells it. Dotted or followed by digits, it is really a host and a port:
# "rekenrijk.nl:8080", "localhost:3000".
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.IGNORECASE)
# The WHATWG parser trims C0 controls and spaces and deletes tabs and newlines anywhere.
_EDGES = re.compile(r"^[\s\x00-\x20]+|[\s\x00-\x20]+$")
_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")
# Where an address without a scheme ends its host part, and white space (a name, not an address).
_AUTHORITY_END = re.compile(r"[/?#\\]")
_SPACE = re.compile(r"\s")
# The same rule as `models.Host`, so a normalised host always fits a ToolDomain (tested).
_LDH_HOST = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$"
)


class Query(msgspec.Struct, frozen=True, kw_only=True):
    """What a teacher's input turned out to be: a host to look up, a name, or neither."""

    kind: Literal["url", "name", "invalid"]
    host: str | None = None
    registrable_domain: str | None = None
    name_key: str | None = None
    is_ip: bool = False
    message: str | None = None


def _invalid(message: str) -> Query:
    return Query(kind="invalid", message=message)


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    # No suffix_list_urls and no cache_dir: the bundled list, no network, no files written.
    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )


def _is_ip(host: str) -> bool:
    if ":" not in host and not host[-1:].isdigit():
        return False  # an IPv4 address ends in a digit, an IPv6 one has colons: cheap and sure
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _parse_host(url: str) -> tuple[str, bool] | None:
    """The host a browser would visit for an http(s) URL and whether it is an IP, or None."""
    try:
        parts = ada_url.parse_url(url, attributes=("hostname", "host_type"))
    except ValueError:
        return None
    host = parts["hostname"]
    is_ip = parts["host_type"] != ada_url.HostType.DEFAULT
    if is_ip:
        return host.strip("[]"), True  # brackets are URL syntax, not part of the address
    host = host.removesuffix(".")
    # Browsers accept "a..b", but no site can live there; refuse rather than look it up.
    if not host or "" in host.split("."):
        return None
    return host, False


def _url_query(host: str, is_ip: bool,
               parts: tldextract.ExtractResult | None = None) -> Query:
    """`parts`: what tldextract made of `host`, if it did already (a tenth of a parse)."""
    return Query(
        kind="url", host=host, is_ip=is_ip, registrable_domain=_registrable(host, parts)
    )


def _name_query(text: str) -> Query:
    key = name_key(text)
    return Query(kind="name", name_key=key) if key else _invalid(MSG_EMPTY)


def parse_query(q: str) -> Query:
    """Decide whether a teacher typed a web address or a tool name, and normalise it."""
    text = _EDGES.sub("", q)
    if not text:
        return _invalid(MSG_EMPTY)
    if len(text) > MAX_INPUT:
        return _invalid(MSG_TOO_LONG)

    # Look at the scheme as the parser will: "java\tscript:" is still javascript:.
    compact = text.translate(_TAB_NEWLINE)
    scheme = _SCHEME.match(compact)
    if scheme and "." not in scheme[1] and not compact[scheme.end() :][:1].isdigit():
        name = scheme[1].lower()
        if name in ("http", "https"):
            parsed = _parse_host(text)
            return _url_query(*parsed) if parsed else _invalid(MSG_BAD_URL)
        if name in _OTHER_SCHEMES or compact[scheme.end() :].startswith(("/", "\\")):
            return _invalid(MSG_NOT_WEB)

    # Protocol-relative "//tool.example/x" is a web address without doubt.
    if compact[:2].replace("\\", "/") == "//":
        parsed = _parse_host("https:" + text)
        return _url_query(*parsed) if parsed else _invalid(MSG_BAD_URL)

    # No scheme: a web address only if it looks like one, as an address bar would judge it.
    authority = _AUTHORITY_END.split(text, maxsplit=1)[0]
    if _SPACE.search(text):
        return _name_query(text)
    if "@" in authority and "." in authority.rpartition("@")[2]:
        return _invalid(MSG_NOT_WEB)  # an e-mail address, or userinfo hiding the real host
    parsed = _parse_host("https://" + text)  # also maps "rekenrijk。nl" to rekenrijk.nl
    if parsed:
        host, is_ip = parsed
        # A dotted quad or [v6] only: "1.5" alone is more likely a version than an IP.
        if is_ip and (authority.count(".") == 3 or authority.startswith("[")):
            return _url_query(host, True)
        # A known public suffix: "rekenrijk.nl" is a site, "Node.js" is a name.
        if not is_ip and "." in host and (parts := _extractor()(host)).suffix:
            return _url_query(host, False, parts)
    return _name_query(text)


def normalize_host(host: str) -> str:
    """Lower case, punycode and no trailing dot; ValueError if `host` is not a host name."""
    text = host.strip()
    if not text:
        raise ValueError("Host is empty")
    # Without this check the URL parser would quietly drop a path, port or userinfo.
    bad = sorted(set(re.findall(r"[\s/\\?#@:%\[\]]", text)))
    if bad:
        raise ValueError(
            f"{host!r} is not a host name: it contains {' '.join(map(repr, bad))}; "
            "give only the host, like 'app.example.nl'"
        )
    parsed = _parse_host("https://" + text)
    if parsed is None:
        raise ValueError(f"{host!r} is not a valid host name")
    result, is_ip = parsed
    if is_ip:
        raise ValueError(f"{host!r} is an IP address; give the site's host name instead")
    if not _LDH_HOST.match(result):
        raise ValueError(
            f"{host!r} is not a valid host name (as {result!r}): use letters, digits, "
            "hyphens and dots, with at least one dot"
        )
    return result


def registrable_domain(host: str) -> str | None:
    """The part of `host` one owner registered (rekenrijk.nl, juf-anne.github.io), or None."""
    return _registrable(host, None)


def _registrable(host: str, parts: tldextract.ExtractResult | None) -> str | None:
    """`registrable_domain(host)`, with `parts` the extraction of `host` if made already."""
    clean = host.lower().removesuffix(".")
    if _is_ip(clean):
        return None
    if parts is None or clean != host:
        parts = _extractor()(clean)
    host = clean
    if parts.suffix:
        return parts.top_domain_under_public_suffix or None  # "" when host is a suffix
    # The Public Suffix List's default rule "*": an unknown last label is a suffix itself.
    labels = host.split(".")
    return ".".join(labels[-2:]) if len(labels) >= 2 and all(labels) else None


def host_candidates(host: str) -> list[str]:
    """`host` and its parents down to its registrable domain, most specific first."""
    host = host.lower().removesuffix(".")
    return _down_to(host, registrable_domain(host))


def query_candidates(query: Query) -> list[str]:
    """`host_candidates(query.host)` with the registrable domain `parse_query` found already:
    working it out again was a tenth of a check."""
    return [query.host] if query.is_ip else _down_to(query.host, query.registrable_domain)


def _down_to(host: str, domain: str | None) -> list[str]:
    if domain is None or not host.endswith(domain):
        return [host]
    extra = host[: -len(domain)].rstrip(".").split(".") if host != domain else []
    return [".".join([*extra[i:], domain]) for i in range(len(extra))] + [domain]


def name_key(text: str) -> str:
    """Case- and accent-insensitive key for tool names: 'Ëxamen-Trainer' → 'examen trainer'."""
    if text.isascii():  # nothing to decompose: ten times faster, and most names (publishing)
        return _NOT_WORD.sub(" ", text.lower()).strip()
    return _decomposed_key(text)


def _decomposed_key(text: str) -> str:
    # NFKD on both sides of casefold: "𝐀" only becomes "A" after NFKD, and casefold can
    # produce new letters with marks ("İ" → "i̇") that need splitting again.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", bare).strip()


_NOT_WORD = re.compile(r"[\W_]+")
