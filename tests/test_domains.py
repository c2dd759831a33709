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
    registrable_domain,
)
from registry.models import Host

# (input, kind, host, registrable domain). The host is the one a browser visits. Every
# http(s) row was checked against `new URL(...).hostname` in headless Chromium 156; the only
# disagreement is marked.
CORPUS = [
    # Userinfo is not the host; Chromium's address bar hides it and shows "tool.example".
    pytest.param("https://user:pw@tool.example/", "url", "tool.example", "tool.example", id="userinfo"),
    # Browsers read "\" as "/", so the "@" lands in the path. Chromium's address bar shows
    # "evil.example/@tool.example"; urllib and tldextract say tool.example.
    pytest.param("https://evil.example\\@tool.example", "url", "evil.example", "evil.example", id="backslash-userinfo"),
    pytest.param("evil.nl\\@tool.nl", "url", "evil.nl", "evil.nl", id="backslash-userinfo-no-scheme"),
    pytest.param("https:\\\\tool.example\\path", "url", "tool.example", "tool.example", id="backslashes-as-slashes"),
    pytest.param("https:tool.example", "url", "tool.example", "tool.example", id="no-slashes-after-scheme"),
    pytest.param("http:///tool.example", "url", "tool.example", "tool.example", id="three-slashes"),
    # Chromium's address bar shows "bücher.example"; the request goes to the punycode name.
    pytest.param("https://bücher.example", "url", "xn--bcher-kva.example", "xn--bcher-kva.example", id="idn"),
    pytest.param("bücher.de/les", "url", "xn--bcher-kva.de", "xn--bcher-kva.de", id="idn-no-scheme"),
    pytest.param("https://faß.de", "url", "xn--fa-hia.de", "xn--fa-hia.de", id="idn-sharp-s-nontransitional"),
    pytest.param("https://пример.рф/", "url", "xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai", id="idn-cyrillic-tld"),
    pytest.param("HTTPS://App.RekenRijk.NL/Les", "url", "app.rekenrijk.nl", "rekenrijk.nl", id="mixed-case"),
    pytest.param("https://rekenrijk.nl./", "url", "rekenrijk.nl", "rekenrijk.nl", id="trailing-dot"),
    pytest.param("https://tool.example../", "invalid", None, None, id="two-trailing-dots"),
    pytest.param("https://a..b/", "invalid", None, None, id="empty-label"),
    pytest.param("https://tool.example:8443/x", "url", "tool.example", "tool.example", id="port"),
    pytest.param("https://tool.example:99999/", "invalid", None, None, id="port-out-of-range"),
    pytest.param("rekenrijk.nl/les/3", "url", "rekenrijk.nl", "rekenrijk.nl", id="no-scheme-path"),
    pytest.param("www.rekenrijk.nl", "url", "www.rekenrijk.nl", "rekenrijk.nl", id="no-scheme-www"),
    pytest.param("rekenrijk.nl:8080/x", "url", "rekenrijk.nl", "rekenrijk.nl", id="no-scheme-port"),
    pytest.param("  \thttps://rekenrijk.nl/ \n", "url", "rekenrijk.nl", "rekenrijk.nl", id="outer-whitespace"),
    pytest.param("https://reken\trijk.n\nl/", "url", "rekenrijk.nl", "rekenrijk.nl", id="tab-newline-inside"),
    pytest.param("https://reken\u200brijk.nl/", "url", "rekenrijk.nl", "rekenrijk.nl", id="zero-width-space"),
    # Chromium shows "127.0.0.1" for all three of these.
    pytest.param("http://2130706433/", "url", "127.0.0.1", None, id="ipv4-decimal"),
    pytest.param("http://0x7f.1/", "url", "127.0.0.1", None, id="ipv4-hex-short"),
    pytest.param("http://0177.0.0.1/", "url", "127.0.0.1", None, id="ipv4-octal"),
    pytest.param("http://1.2.3/", "url", "1.2.0.3", None, id="ipv4-three-parts"),
    pytest.param("http://999.1.1.1/", "invalid", None, None, id="ipv4-out-of-range"),
    pytest.param("https://example.123/", "invalid", None, None, id="numeric-last-label"),
    pytest.param("192.168.1.10/login", "url", "192.168.1.10", None, id="ipv4-no-scheme"),
    pytest.param("http://[2001:DB8::1]:8080/", "url", "2001:db8::1", None, id="ipv6"),
    pytest.param("[::1]", "url", "::1", None, id="ipv6-no-scheme"),
    pytest.param("javascript:alert(1)", "invalid", None, None, id="javascript"),
    pytest.param(" JavaScript:alert(1)", "invalid", None, None, id="javascript-mixed-case"),
    pytest.param("java\tscript:alert(1)", "invalid", None, None, id="javascript-with-tab"),
    pytest.param("data:text/html,<script>alert(1)</script>", "invalid", None, None, id="data"),
    pytest.param("file:///etc/passwd", "invalid", None, None, id="file"),
    pytest.param("mailto:juf@school.nl", "invalid", None, None, id="mailto"),
    pytest.param("ftp://tool.example/", "invalid", None, None, id="ftp"),
    pytest.param("chrome://settings", "invalid", None, None, id="chrome-internal"),
    pytest.param("juf@school.nl", "invalid", None, None, id="email-address"),
    pytest.param("https://rekenrijk.nl/?q=" + "a" * 5000, "invalid", None, None, id="5000-chars"),
    pytest.param("https://%74ool.example", "url", "tool.example", "tool.example", id="percent-encoded-letter"),
    pytest.param("https://tool%2Eexample/", "url", "tool.example", "tool.example", id="percent-encoded-dot"),
    pytest.param("https://tool%E3%80%82example/", "url", "tool.example", "tool.example", id="percent-encoded-ideographic-dot"),
    pytest.param("https://tool%00.example/", "invalid", None, None, id="percent-encoded-nul"),
    # Chromium's address bar shows "tool.example".
    pytest.param("https://tool。example", "url", "tool.example", "tool.example", id="ideographic-dot"),
    pytest.param("rekenrijk。nl", "url", "rekenrijk.nl", "rekenrijk.nl", id="ideographic-dot-no-scheme"),
    pytest.param("https://ＲＥＫＥＮＲＩＪＫ.nl", "url", "rekenrijk.nl", "rekenrijk.nl", id="fullwidth-letters"),
    # Chromium's parser gives "ex%20ample.com" here (WHATWG and ada refuse); neither resolves.
    pytest.param("https://ex ample.com", "invalid", None, None, id="space-in-host"),
    pytest.param("https://", "invalid", None, None, id="empty-host"),
    pytest.param("//tool.example/x", "url", "tool.example", "tool.example", id="protocol-relative"),
    pytest.param("\\\\tool.example\\x", "url", "tool.example", "tool.example", id="protocol-relative-backslashes"),
    pytest.param("https://juf-anne.github.io/breuken", "url", "juf-anne.github.io", "juf-anne.github.io", id="github-io"),
    pytest.param("https://github.io/", "url", "github.io", None, id="github-io-itself"),
    pytest.param("meester-bas.blogspot.com", "url", "meester-bas.blogspot.com", "meester-bas.blogspot.com", id="blogspot"),
    pytest.param("https://quiz.netlify.app", "url", "quiz.netlify.app", "quiz.netlify.app", id="netlify"),
    pytest.param("https://www.bbc.co.uk/bitesize", "url", "www.bbc.co.uk", "bbc.co.uk", id="co-uk"),
    pytest.param("https://co.uk/", "url", "co.uk", None, id="co-uk-itself"),
    pytest.param("https://a.b.tool.example/", "url", "a.b.tool.example", "tool.example", id="unknown-tld-default-rule"),
    pytest.param("http://localhost:3000/", "url", "localhost", None, id="single-label"),
    pytest.param("Rekenrijk", "name", None, None, id="name"),
    pytest.param("Google Classroom", "name", None, None, id="name-with-space"),
    pytest.param("Ëxamen-Trainer  Plus", "name", None, None, id="name-with-accent"),
    pytest.param("Node.js", "name", None, None, id="name-with-dot-not-a-tld"),
    pytest.param("1.5", "name", None, None, id="version-number-not-ip"),
    pytest.param("Snappet: rekenen", "name", None, None, id="name-with-colon"),
    pytest.param("tool.example", "name", None, None, id="no-scheme-unknown-tld"),
    pytest.param("", "invalid", None, None, id="empty"),
    pytest.param(" \t\n ", "invalid", None, None, id="whitespace-only"),
    pytest.param("!!!", "invalid", None, None, id="punctuation-only"),
]


@pytest.mark.parametrize(("text", "kind", "host", "domain"), CORPUS)
def test_parse_query(text, kind, host, domain):
    q = parse_query(text)
    assert (q.kind, q.host, q.registrable_domain) == (kind, host, domain)
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


def test_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    # Build the suffix-list extractor again under the patch: creating it must not fetch either.
    domains._extractor.cache_clear()
    for param in CORPUS:
        parse_query(param.values[0])
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
    if q.kind == "name":
        assert q.name_key and name_key(q.name_key) == q.name_key
