import ipaddress
import socket

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry import domains
from registry.domains import (
    MSG_BAD_URL,
    MSG_EMPTY,
    MSG_NOT_WEB,
    MSG_TOO_LONG,
    host_candidates,
    name_key,
    normalize_host,
    parse_query,
    query_candidates,
    registrable_domain,
)
from registry.models import Host

# The URL corpus (fixtures `url_row`, `url_corpus`) is in conftest.py, shared with
# test_lockdown, which asks the API the same questions.


def test_parse_query(url_row):
    text, kind, host, domain = url_row
    q = parse_query(text)
    assert (q.kind, q.host, q.registrable_domain) == (kind, host, domain)
    if q.kind == "url":  # worked out once in parse_query, as the separate functions would
        assert q.registrable_domain == registrable_domain(q.host)
        assert query_candidates(q) == host_candidates(q.host)
    assert q.is_ip == (host is not None and _is_ip(host))
    assert (q.name_key is not None) == (kind == "name")
    assert (q.message is not None) == (kind == "invalid")


def _is_ip(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", MSG_EMPTY),
        ("?!", MSG_EMPTY),
        ("x" * 2001, MSG_TOO_LONG),
        ("javascript:alert(1)", MSG_NOT_WEB),
        ("data:text/html,hoi", MSG_NOT_WEB),
        ("juf@school.nl", MSG_NOT_WEB),
        ("https://ex ample.com", MSG_BAD_URL),
        ("https://tool.example:99999/", MSG_BAD_URL),
    ],
)
def test_invalid_messages(text, message):
    assert parse_query(text).message == message


def test_2000_chars_is_still_accepted():
    text = "https://rekenrijk.nl/" + "a" * (2000 - len("https://rekenrijk.nl/"))
    assert parse_query(text).host == "rekenrijk.nl"
    assert parse_query(text + "a").kind == "invalid"


def test_name_query_carries_the_key():
    assert parse_query("  Ëxamen-Trainer  Plus ").name_key == "examen trainer plus"


def test_query_is_frozen():
    with pytest.raises(AttributeError):
        parse_query("rekenrijk.nl").host = "evil.example"


def test_no_network(monkeypatch, url_corpus):
    def refuse(*args, **kwargs):
        raise AssertionError("network access")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    # Build the suffix-list extractor again under the patch: creating it must not fetch either.
    domains._extractor.cache_clear()
    for text, *_ in url_corpus:
        parse_query(text)
    assert registrable_domain("juf-anne.github.io") == "juf-anne.github.io"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("App.RekenRijk.NL.", "app.rekenrijk.nl"),
        ("  rekenrijk.nl ", "rekenrijk.nl"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.example", "xn--bcher-kva.example"),
        ("tool。example", "tool.example"),
        ("juf-anne.github.io", "juf-anne.github.io"),
    ],
)
def test_normalize_host(host, expected):
    assert normalize_host(host) == expected
    assert msgspec.convert(expected, Host) == expected  # agrees with the models' Host type


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("", "Host is empty"),
        ("   ", "Host is empty"),
        ("https://rekenrijk.nl", "it contains '/' ':'"),
        ("rekenrijk.nl/les", "it contains '/'"),
        ("evil.example\\@tool.example", "it contains '@' '\\\\'"),
        ("rekenrijk.nl:443", "it contains ':'"),
        ("reken rijk.nl", "it contains ' '"),
        ("%74ool.example", "it contains '%'"),
        ("[::1]", "it contains ':' '[' ']'"),
        ("127.0.0.1", "is an IP address"),
        ("0x7f.1", "is an IP address"),
        ("a..b", "is not a valid host name"),
        ("999.1.1.1", "is not a valid host name"),
        ("localhost", "with at least one dot"),
        ("under_score.nl", "use letters, digits, hyphens and dots"),
        ("-rekenrijk.nl", "use letters, digits, hyphens and dots"),
        ("x" * 64 + ".nl", "use letters, digits, hyphens and dots"),
    ],
)
def test_normalize_host_errors(host, message):
    with pytest.raises(ValueError) as error:
        normalize_host(host)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("rekenrijk.nl", "rekenrijk.nl"),
        ("a.b.rekenrijk.nl", "rekenrijk.nl"),
        ("Rekenrijk.NL.", "rekenrijk.nl"),
        ("juf-anne.github.io", "juf-anne.github.io"),
        ("x.juf-anne.github.io", "juf-anne.github.io"),
        ("meester-bas.blogspot.com", "meester-bas.blogspot.com"),
        ("quiz.netlify.app", "quiz.netlify.app"),
        ("bucket.s3.amazonaws.com", "bucket.s3.amazonaws.com"),
        ("www.bbc.co.uk", "bbc.co.uk"),
        ("xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai"),
        ("a.tool.example", "tool.example"),  # no known suffix: the PSL's default rule "*"
        ("github.io", None),
        ("co.uk", None),
        ("nl", None),
        ("localhost", None),
        ("127.0.0.1", None),
        ("2001:db8::1", None),
    ],
)
def test_registrable_domain(host, expected):
    assert registrable_domain(host) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("a.b.rekenrijk.nl", ["a.b.rekenrijk.nl", "b.rekenrijk.nl", "rekenrijk.nl"]),
        ("rekenrijk.nl", ["rekenrijk.nl"]),
        ("x.juf-anne.github.io", ["x.juf-anne.github.io", "juf-anne.github.io"]),
        ("www.bbc.co.uk", ["www.bbc.co.uk", "bbc.co.uk"]),
        ("github.io", ["github.io"]),
        ("127.0.0.1", ["127.0.0.1"]),
    ],
)
def test_host_candidates(host, expected):
    assert host_candidates(host) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ëxamen-Trainer  Plus", "examen trainer plus"),
        ("examen trainer plus", "examen trainer plus"),
        ("  Rekenrijk!  ", "rekenrijk"),
        ("Café_Taal/Lezen & Schrijven", "cafe taal lezen schrijven"),
        ("Straße", "strasse"),
        ("İstanbul", "istanbul"),
        ("ＷＯＲＤ ﬁt", "word fit"),
        ("Ĳsselmeer", "ijsselmeer"),
        ("Taal\t\n123", "taal 123"),
        ("𝐀𝐁𝐂 Ｌｅｓ", "abc les"),
        ("--", ""),
    ],
)
def test_name_key(text, expected):
    assert name_key(text) == expected


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_name_key_of_ascii_takes_a_shortcut_to_the_same_key(text):
    from registry.domains import _decomposed_key

    assert name_key(text) == _decomposed_key(text)


@given(st.text(max_size=300))
def test_parse_query_never_raises_and_hosts_are_clean(text):
    q = parse_query(text)
    if q.kind == "url":
        assert q.host and q.host.isascii() and q.host == q.host.lower()
        assert not q.host.endswith(".")
        if q.registrable_domain:
            assert host_candidates(q.host)[-1] == q.registrable_domain
        assert q.registrable_domain == registrable_domain(q.host)
        assert query_candidates(q) == host_candidates(q.host)
    if q.kind == "name":
        assert q.name_key and name_key(q.name_key) == q.name_key
