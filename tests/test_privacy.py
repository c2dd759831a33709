"""Private by design: no cookies, no request to any other origin, a strict
Content-Security-Policy and the other security headers on every kind of response, and
statistics that are only counts per day."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from registry.models import Role


@pytest.mark.browser
def test_a_teacher_session_stays_on_our_origin_and_sets_no_cookie(page: Page, site):
    requests, cookies, csp_reports = [], [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("response", lambda response: cookies.extend(
        f"{response.url}: {value}" for name, value in
        ((h["name"], h["value"]) for h in response.headers_array())
        if name.lower() == "set-cookie"))
    page.on("console", lambda message: csp_reports.append(message.text)
            if "Content Security Policy" in message.text else None)

    page.goto("/")
    page.get_by_label("Webadres of naam van de tool").fill("https://assistent.denkvonk-demo.nl/chat")
    page.get_by_role("button", name="Controleren").click()
    expect(page.locator("section.answer .verdict")).to_contain_text("Toegestaan onder voorwaarden")
    page.get_by_role("link", name=re.compile("op de witte lijst")).click()
    expect(page).to_have_url(re.compile(r"/lijst/witte-lijst/tools/denkvonk-assistent$"))

    page.goto("/lijst/witte-lijst/tools")
    page.get_by_label("Zoeken:").fill("Rekenen")
    page.get_by_label("Zoeken:").press("Enter")
    expect(page.locator("table.rows-and-columns tbody tr").first).to_contain_text("Rekenen")
    facet = page.locator(".facet-info").filter(has_text="verdict_label").first
    facet.get_by_role("link", name="Toegestaan", exact=True).click()
    expect(page).to_have_url(re.compile(r"verdict_label=Toegestaan"))
    page.goto("/lijst/witte-lijst/toegestaan_po")
    page.goto("/insluiten?niveau=PO")
    expect(page.frame_locator("iframe.preview").locator("ul.embed-tools li").first).to_be_visible()
    page.goto("/uitleg")
    page.goto("/api/docs")
    expect(page.locator(".opblock").first).to_be_visible()

    assert len(requests) > 15, "the listener saw the session"
    assert [url for url in requests if not url.startswith(site.url + "/")] == []
    assert page.context.cookies() == []
    assert cookies == []
    assert csp_reports == [], "a page needs something its CSP forbids"


# --- headers on every kind of response ------------------------------------------------------

EMBED = {"frame": "*", "resource": "cross-origin"}
FEED = {"resource": "cross-origin", "cors": True}  # read by other sites, framed by none
PAGES = {
    # path: (status, content type, what differs from the default)
    "/": (200, "text/html", {}),
    "/?q=rekenen.noorderlicht-demo.nl": (200, "text/html", {}),
    "/uitleg": (200, "text/html", {}),
    "/insluiten": (200, "text/html", {}),
    "/embed?niveau=PO": (200, "text/html", EMBED),
    "/embed?niveau=XX": (400, "text/html", EMBED),
    "/lijst/": (200, "text/html", {}),
    "/lijst/witte-lijst": (200, "text/html", {}),
    "/lijst/witte-lijst/tools": (200, "text/html", {}),
    "/lijst/witte-lijst/tools/denkvonk-assistent": (200, "text/html", {}),
    "/lijst/witte-lijst/tools.json?_shape=array": (200, "application/json", {}),
    "/lijst/witte-lijst/tools.csv": (200, "text/plain", {}),
    "/lijst/witte-lijst/bestaat-niet": (404, "text/html", {}),
    "/lijst/-/static/app.css": (200, "text/css", {}),
    "/lijst/-/static-plugins/school_whitelist/witte-lijst.css": (200, "text/css", {}),
    "/api/check?q=rekenen.noorderlicht-demo.nl": (200, "application/json", {}),
    "/api/check": (400, "application/problem+json", {}),
    "/api/embed/tools?level=PO": (200, "application/json", FEED),
    "/api/embed/tools?level=XX": (400, "application/problem+json", FEED),
    "/api/docs": (200, "text/html", {"docs": True}),
    "/api/docs/openapi.json": (200, "application/", {}),
    "/api/tools": (401, "application/problem+json", {}),
    "/static/style.css": (200, "text/css", {}),
    "/static/embed.js": (200, "text/javascript", {"resource": "cross-origin"}),
    "/favicon.ico": (200, "image/svg+xml", {}),
    "/bestaat-niet": (404, "application/problem+json", {}),
    "/aanvraag/ZZZZ-ZZZZ": (404, "text/html", {}),  # a review request's page, unknown code
}
ALLOWED_SOURCES = re.compile(r"^('self'|'none'|'unsafe-inline'|'sha256-[A-Za-z0-9+/]+=*'|data:)$")


def directives(policy: str) -> dict[str, list[str]]:
    pairs = [part.split() for part in policy.split(";") if part.strip()]
    return {name: sources for name, *sources in pairs}


@pytest.fixture(scope="module")
def http(site):
    with site.client() as client:
        yield client


@pytest.mark.server
@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_kind_of_response(http, path):
    status, content_type, special = PAGES[path]
    response = http.get(path)
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith(content_type)
    headers = response.headers

    policy = directives(headers["content-security-policy"])
    assert "default-src" in policy
    assert policy["frame-ancestors"] == [special.get("frame", "'none'")]
    for name, sources in policy.items():
        if name != "frame-ancestors":
            assert all(ALLOWED_SOURCES.match(s) for s in sources), (name, sources)
    script = policy.get("script-src", policy["default-src"])
    assert ("'unsafe-inline'" in script) == bool(special.get("docs")), script
    if "frame" in special:
        assert "x-frame-options" not in headers
    else:
        assert headers["x-frame-options"] == "DENY"

    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert "camera=()" in headers["permissions-policy"]
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["cross-origin-resource-policy"] == special.get("resource", "same-origin")
    assert headers.get("access-control-allow-origin") == ("*" if special.get("cors") else None)
    assert "set-cookie" not in headers
    assert len(headers.get_list("content-security-policy")) == 1


@pytest.mark.server
def test_our_html_pages_allow_no_inline_code_at_all(http):
    for path, (_, content_type, special) in PAGES.items():
        if content_type == "text/html" and not path.startswith("/lijst") and not special.get("docs"):
            policy = directives(http.get(path).headers["content-security-policy"])
            assert policy["default-src"] == ["'none'"], path
            assert policy["script-src"] == policy["style-src"] == ["'self'"], path


# --- statistics: counts per day, nothing else ---------------------------------------------------

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_client):
    with demo_client(tmp_path_factory.mktemp("stats"), Role.publisher, TODAY) as client:
        yield client


def test_statistics_count_checks_per_day_without_the_questions(demo):
    assert demo.get("/api/stats").status_code == 401
    assert demo.get("/api/stats", headers=demo.token).json() == []

    demo.get("/api/check", params={"q": "rekenen.noorderlicht-demo.nl"})
    demo.get("/api/check", params={"q": "https://geheime-vraag-7f3a.example"})
    demo.get("/", params={"q": "https://quiz2.maakplaats-demo.nl/"})
    demo.get("/", params={"q": "Noorderlicht"})
    demo.get("/", params={"q": "javascript:alert(1)"})
    demo.get("/")  # no question, no check
    demo.get("/api/embed/tools")  # not a check

    response = demo.get("/api/stats", headers=demo.token)
    assert response.status_code == 200
    assert response.json() == [{
        "day": "2026-11-28", "checks": 5, "found": 1, "choose": 1, "possibly_related": 1,
        "not_found": 1, "invalid": 1,
    }]
    assert "geheime-vraag" not in response.text and "127.0.0.1" not in response.text


def test_statistics_keep_a_limited_number_of_days():
    from registry.whitelist.stats import CheckCounter

    counter = CheckCounter(keep_days=2)
    for day in (1, 2, 3):
        counter.count(dt.date(2026, 11, day), "found")
    assert [c.day.day for c in counter.days()] == [2, 3]


# --- no cookie on any public path, crawled ---------------------------------------------------------

LINK = re.compile(r"""(?:href|src|action)=["']([^"'#]+)""")
SKIP = re.compile(r"\.db(\?|$)|_stream=|/beheer(/|$|\?)")  # whole-file downloads; the back office


def public_paths(app) -> list[str]:
    """Every public GET route of the app's table without parameters, 404s, and what the
    crawl must reach whatever the pages link to."""
    from litestar.routes import HTTPRoute

    paths = [route.path for route in app.routes if isinstance(route, HTTPRoute)
             and "GET" in route.methods and "{" not in route.path
             and not route.path.startswith("/beheer")]
    return [*paths, "/lijst/", "/?q=rekenen.noorderlicht-demo.nl", "/embed?niveau=PO",
            "/api/check?q=rekenen", "/api/tools/bestaat-niet", "/bestaat-niet",
            "/lijst/witte-lijst/bestaat-niet", "/api/docs/assets/swagger-ui.css"]


def test_no_public_path_sets_a_cookie_even_with_a_back_office_session(tmp_path, demo_client):
    """The whole public side, crawled from its route table and every link its pages hold
    (up to 250 pages), with and without a signed-in back-office session's cookie sent along
    (a browser would not: it is scoped to /beheer)."""
    with demo_client(tmp_path, Role.procurement, TODAY) as client:
        accounts = client.app.state.registry.accounts
        accounts.hasher = type(accounts.hasher)(time_cost=1, memory_cost=8, parallelism=1)
        accounts.create("juf@school.example", "Juf", Role.admin, "een lang wachtwoord", "t")
        client.app.state.backoffice.hasher = accounts.hasher
        form = client.get("/beheer/inloggen").text
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form)[1]
        signed = client.post("/beheer/inloggen", follow_redirects=False, data={
            "email": "juf@school.example", "wachtwoord": "een lang wachtwoord",
            "_csrf_token": token})
        cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        assert "beheer_sessie=" in cookies and "beheer_csrf=" in cookies, signed.headers

        queue, seen, set_cookies = list(public_paths(client.app)), set(), []
        while queue and len(seen) < 250:
            path = queue.pop(0)
            if path in seen or SKIP.search(path):
                continue
            seen.add(path)
            for headers in ({}, {"Cookie": cookies}):
                response = client.get(path, headers=headers, follow_redirects=False)
                assert response.status_code < 500, (path, response.text[:300])
                set_cookies += [f"{path}: {c}" for c in response.headers.get_list("set-cookie")]
            if response.headers.get("content-type", "").startswith("text/html"):
                for link in LINK.findall(response.text):
                    link = link.replace("&amp;", "&")
                    if link.startswith("/") and not link.startswith("//"):
                        queue.append(link)
        for method, path, body in (("POST", "/aanvragen", {"naam": "Tool", "adres": ""}),
                                   ("POST", "/api/review-requests", None),
                                   ("OPTIONS", "/", None), ("HEAD", "/static/style.css", None)):
            response = client.request(method, path, data=body, headers={"Cookie": cookies},
                                      follow_redirects=False)
            set_cookies += [f"{path}: {c}" for c in response.headers.get_list("set-cookie")]
        assert len(seen) > 60, sorted(seen)
        assert {"/", "/lijst/", "/embed?niveau=PO", "/api/docs"} <= seen
        assert set_cookies == []
