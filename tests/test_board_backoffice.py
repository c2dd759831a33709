"""School boards in the back office: a board's account × every kind of page and write (its own
board's records, another board's, the sector's) gives exactly the expected answer; its board's
page and menu; the sector's overview of what boards signed and decided; choosing the board of
an account or a token. On the demo data: boards 99001 (A), 99002 (B), 99003 (C)."""

from __future__ import annotations

import dataclasses

import pytest


pytestmark = pytest.mark.backoffice

B, C = "99002", "99003"
REFUSED = "Dit is niet voor je schoolbestuur"
NOT_FOUND = "Deze pagina bestaat niet"


@pytest.fixture
def backoffice_settings(backoffice_settings):
    return dataclasses.replace(backoffice_settings, demo=True)


@pytest.fixture
def registry(backoffice_app):
    return backoffice_app.state.registry


@pytest.fixture
def board_client(staff_client, registry):
    """`board_client(board, role="procurement")`: signed in as a new account of that board."""
    def make(board: str, role: str = "procurement"):
        client = staff_client(role)
        client.account = registry.accounts.set_board(client.account.id, board, "test")
        return client
    return make


@pytest.fixture
def board_b(board_client):
    return board_client(B)


def decision_form(record_id: str, board: str, tool: str = "noorderlicht-taal", **extra) -> dict:
    return {"id": record_id, "board_id": board, "tool_id": tool, "decision": "stricter",
            "conditions[0]": "Alleen met toestemming van de ouders", "reason": "Eigen afweging",
            "decided_on": "2026-11-01", "decided_by": "College van bestuur", **extra}


def agreement_form(record_id: str, party: str) -> dict:
    return {"id": record_id, "vendor_id": "bordwerk", "tool_ids[0]": "bordwerk-klassenbord",
            "model_version": "own", "status": "signed", "signed_on": "2026-10-01",
            "party": party}


def version_of(registry, kind, record_id):
    return str(registry.get(kind, record_id).version)


# --- the matrix: a board's account × pages and writes ------------------------------------------

SECTOR_PAGES = [
    ("GET", "/beheer/tools"), ("GET", "/beheer/tools/nieuw"), ("GET", "/beheer/leveranciers"),
    ("GET", "/beheer/beoordelingen"), ("GET", "/beheer/besturen"),
    ("GET", "/beheer/besturen/overzicht"), ("GET", f"/beheer/besturen/{B}"),
    ("GET", "/beheer/importeren"), ("GET", "/beheer/verloopt"), ("GET", "/beheer/aanvragen"),
    ("GET", "/beheer/publicaties"), ("GET", "/beheer/meldingen"),
    ("POST", "/beheer/tools/nieuw"), ("POST", "/beheer/tools/noorderlicht-taal"),
    ("POST", "/beheer/tools/noorderlicht-taal/archiveren"), ("POST", f"/beheer/besturen/{B}"),
    ("POST", "/beheer/leveranciers/nieuw"), ("POST", "/beheer/beoordelingen/nieuw"),
    ("POST", "/beheer/importeren"),
]


@pytest.mark.parametrize(("method", "path"), SECTOR_PAGES, ids=[" ".join(p) for p in SECTOR_PAGES])
def test_a_board_account_is_refused_every_page_of_the_sector(board_b, csrf_token, method, path):
    if method == "GET":
        answer = board_b.get(path, follow_redirects=False)
    else:
        answer = board_b.post(path, data={"_csrf_token": csrf_token(board_b, "/beheer/besluiten")},
                              follow_redirects=False)
    assert answer.status_code == 403, answer.text[:300]
    assert REFUSED in answer.text and B in answer.text
    assert 'href="/beheer/bestuur"' in answer.text


@pytest.mark.parametrize("path", ["/beheer/accounts", "/beheer/tokens", "/beheer/publiceren"])
def test_a_board_account_with_the_admin_role_is_still_only_its_boards(board_client, path):
    answer = board_client(B, "admin").get(path)
    assert answer.status_code == 403 and REFUSED in answer.text


def test_a_board_accounts_back_office_is_its_boards_page(board_b):
    first = board_b.get("/beheer", follow_redirects=False)
    assert (first.status_code, first.headers["location"]) == (303, "/beheer/bestuur")
    page = board_b.get("/beheer")
    assert page.url.path == f"/beheer/bestuur/{B}"
    text = page.text
    assert "Stichting Voortgezet Onderwijs Voorbeeldrijk (fictief)" in text
    # Per tool the sector verdict next to the board's, and what the teacher reads.
    row = text.split("Lernfabrik Scheikunde (demo)")[1].split("</tr>")[0]
    assert "Niet beoordeeld" in row and "Niet toegestaan" in row
    assert "niet gebruikt mag worden op zijn scholen" in row
    assert "Alleen in de bovenbouw" in text
    # The menu offers only what the account may use.
    menu = text.split('aria-label="Beheermenu"')[1].split("</nav>")[0]
    assert menu.count("<li>") == 3
    for path in ("/beheer/bestuur", "/beheer/besluiten", "/beheer/overeenkomsten"):
        assert f'href="{path}"' in menu
    assert "/beheer/tools" not in menu and "/beheer/importeren" not in menu


def test_a_board_account_sees_only_its_own_boards_records(board_b):
    decisions = board_b.get("/beheer/besluiten")
    assert decisions.status_code == 200
    assert f"/beheer/besluiten/{B}-lernfabrik-scheikunde" in decisions.text
    assert f"/beheer/besluiten/{C}-lernfabrik-scheikunde" not in decisions.text
    # Asking for another board's list through the filter changes nothing.
    assert f"{C}-lernfabrik" not in board_b.get(f"/beheer/besluiten?bestuur={C}").text
    agreements = board_b.get("/beheer/overeenkomsten?partij=99001")
    assert "bordwerk-avv" not in agreements.text and "sommenstad-2025" not in agreements.text
    for path in (f"/beheer/besluiten/{C}-lernfabrik-scheikunde",
                 f"/beheer/besluiten/{C}-lernfabrik-scheikunde/geschiedenis",
                 "/beheer/overeenkomsten/bordwerk-avv", "/beheer/overeenkomsten/sommenstad-2025",
                 f"/beheer/bestuur/{C}"):
        answer = board_b.get(path)
        assert answer.status_code == 404 and NOT_FOUND in answer.text, path
    assert board_b.get(f"/beheer/besluiten/{B}-maakplaats-studio").status_code == 200


def test_a_board_accounts_new_record_is_its_boards(board_b, post_form, registry):
    form = board_b.get("/beheer/besluiten/nieuw").text
    assert f'value="{B}" id="veld-board-id" name="board_id"' in form and "readonly" in form
    # Even a form posted with another board's number is saved as its own board's.
    made = post_form(board_b, "/beheer/besluiten/nieuw", decision_form("b-noorderlicht", C),
                     page="/beheer/besluiten/nieuw")
    assert made.status_code == 303, made.text[:2000]
    assert registry.get("board_decisions", "b-noorderlicht").board_id == B
    agreement = post_form(board_b, "/beheer/overeenkomsten/nieuw",
                          agreement_form("b-bordwerk", "sector"),
                          page="/beheer/overeenkomsten/nieuw")
    assert agreement.status_code == 303, agreement.text[:2000]
    assert registry.get("agreements", "b-bordwerk").party == B
    event = registry.audit.history("board_decisions", "b-noorderlicht")[-1]
    assert event.actor == board_b.account.email


OWN, OTHER, SECTOR = "own", "other", "sector"
WRITES = [
    # (whose record, kind's segment, record id, action) → the expected status
    (OWN, "besluiten", f"{B}-maakplaats-studio", "save", 303),
    (OWN, "besluiten", f"{B}-maakplaats-studio", "archiveren", 303),
    (OTHER, "besluiten", f"{C}-lernfabrik-scheikunde", "save", 404),
    (OTHER, "besluiten", f"{C}-lernfabrik-scheikunde", "archiveren", 404),
    (OTHER, "besluiten", f"{C}-lernfabrik-scheikunde", "terugzetten", 404),
    (OTHER, "overeenkomsten", "bordwerk-avv", "save", 404),
    (OTHER, "overeenkomsten", "bordwerk-avv", "archiveren", 404),
    (SECTOR, "overeenkomsten", "sommenstad-2025", "save", 404),
    (SECTOR, "overeenkomsten", "sommenstad-2025", "archiveren", 404),
    (SECTOR, "overeenkomsten", "sommenstad-2025", "terugzetten", 404),
]
KIND = {"besluiten": "board_decisions", "overeenkomsten": "agreements"}


@pytest.mark.parametrize(("whose", "segment", "record_id", "action", "status"), WRITES,
                         ids=[f"{w[0]} {w[1]} {w[3]}" for w in WRITES])
def test_a_board_account_changes_only_its_own_boards_records(board_b, csrf_token, registry,
                                                             whose, segment, record_id, action,
                                                             status):
    kind = KIND[segment]
    before = registry.get(kind, record_id)
    token = csrf_token(board_b, f"/beheer/{segment}")
    data = {"_csrf_token": token, "versie": str(before.version)}
    if action == "save":
        data |= decision_form(record_id, B, before.tool_id, reason="Gewijzigd door B") \
            if kind == "board_decisions" else agreement_form(record_id, B)
        path = f"/beheer/{segment}/{record_id}"
    else:
        path = f"/beheer/{segment}/{record_id}/{action}"
    answer = board_b.post(path, data=data, follow_redirects=False)
    assert answer.status_code == status, answer.text[:2000]
    after = registry.get(kind, record_id)
    if status == 404:
        assert after == before
        assert NOT_FOUND in answer.text
    else:
        assert after.version == before.version + 1
        assert registry.audit.history(kind, record_id)[-1].actor == board_b.account.email


# --- the store's rules, in the form's words ------------------------------------------------------


def test_a_second_live_decision_on_a_tool_is_refused_next_to_the_tool(board_b, post_form,
                                                                      registry):
    answer = post_form(board_b, "/beheer/besluiten/nieuw",
                       decision_form("b-tweede", B, "maakplaats-studio"),
                       page="/beheer/besluiten/nieuw")
    assert answer.status_code in (409, 422)
    assert "Dit bestuur heeft al een besluit over deze tool" in answer.text
    assert not registry.records_by_id("board_decisions", ["b-tweede"])


def test_an_own_approval_of_a_tool_the_sector_rejected_is_refused(board_client, post_form,
                                                                  registry):
    client = board_client(C)
    answer = post_form(client, "/beheer/besluiten/nieuw", decision_form(
        "c-sommenstad", C, "sommenstad-tafels", decision="own_approval"),
        page="/beheer/besluiten/nieuw")
    assert answer.status_code == 422
    assert "Het beleid van de sector staat niet toe" in answer.text
    assert not registry.records_by_id("board_decisions", ["c-sommenstad"])


# --- the sector's side ----------------------------------------------------------------------------


def test_the_sector_overview_shows_per_vendor_and_tool_what_boards_signed_and_decided(
        staff_client):
    page = staff_client("procurement").get("/beheer/besturen/overzicht")
    assert page.status_code == 200
    text = page.text
    bordwerk = text.split("Bordwerk Klassenbord (demo)")[1].split("</tr>")[0]
    assert '<td class="number">1</td>' in bordwerk  # board A's own agreement
    lernfabrik = text.split("Lernfabrik Scheikunde (demo)")[1].split("</tr>")[0]
    assert "Niet toegestaan bij" in lernfabrik and f"({B})" in lernfabrik
    assert "Eigen goedkeuring door" in lernfabrik and f"({C})" in lernfabrik
    maakplaats = text.split("Maakplaats Studio (demo)")[1].split("</tr>")[0]
    assert "Extra voorwaarden bij" in maakplaats and f"({B})" in maakplaats
    assert "Sommenstad" not in text  # no board signed or decided anything there
    assert 'href="/beheer/besturen/overzicht" aria-current="page"' in text


def test_the_sector_sees_every_boards_page_and_fills_in_its_number(staff_client):
    client = staff_client("procurement")
    assert client.get("/beheer/bestuur", follow_redirects=False).headers["location"] == \
        "/beheer/besturen/overzicht"
    page = client.get(f"/beheer/bestuur/{C}")
    assert page.status_code == 200 and "De Proefgrond" in page.text
    assert client.get("/beheer/bestuur/12345").status_code == 404
    form = client.get(f"/beheer/besluiten/nieuw?bestuur={C}").text
    assert f'value="{C}" id="veld-board-id"' in form
    assert "readonly" not in form.split('id="veld-board-id"')[1].split(">")[0]


# --- an account's or a token's board --------------------------------------------------------------


@pytest.fixture
def admin(staff_client):
    return staff_client("admin")


def test_an_admin_scopes_an_account_to_a_board_and_back(admin, staff_account, post_form,
                                                         registry):
    other = staff_account("procurement")
    page = admin.get("/beheer/accounts").text
    assert f'action="/beheer/accounts/{other.id}/bestuur"' in page
    answer = post_form(admin, f"/beheer/accounts/{other.id}/bestuur", {"bestuur": B},
                       page="/beheer/accounts")
    assert (answer.status_code, answer.headers["location"]) == (303,
                                                                 "/beheer/accounts?gedaan=bestuur")
    assert registry.accounts.get(other.id).board_id == B
    event = registry.audit.events("kind = 'account'")[-1]
    assert (event.actor, event.changed) == (admin.account.email, ["board_id"])
    back = post_form(admin, f"/beheer/accounts/{other.id}/bestuur", {"bestuur": ""},
                     page="/beheer/accounts")
    assert back.status_code == 303 and registry.accounts.get(other.id).board_id is None


@pytest.mark.parametrize(("value", "message"), [
    ("12345", "Er is geen schoolbestuur met nummer 12345"),
    ("9900", "Een bestuursnummer heeft precies 5 cijfers"),
    ("abcde", "Een bestuursnummer heeft precies 5 cijfers"),
])
def test_an_unknown_or_malformed_board_is_refused_in_dutch(admin, staff_account, post_form,
                                                           registry, value, message):
    other = staff_account("procurement")
    answer = post_form(admin, f"/beheer/accounts/{other.id}/bestuur", {"bestuur": value},
                       page="/beheer/accounts")
    assert answer.status_code == 400 and message in answer.text
    assert registry.accounts.get(other.id).board_id is None
    token = post_form(admin, "/beheer/tokens", {"naam": "script", "rol": "procurement",
                                                "bestuur": value})
    assert token.status_code == 400 and message in token.text
    assert registry.tokens.list() == []


def test_an_admin_cannot_scope_their_own_account(admin, post_form, registry):
    answer = post_form(admin, f"/beheer/accounts/{admin.account.id}/bestuur", {"bestuur": B},
                       page="/beheer/accounts")
    assert answer.status_code == 400 and "eigen account" in answer.text
    assert registry.accounts.get(admin.account.id).board_id is None


def test_an_admin_creates_a_board_account_and_a_board_token(backoffice_app, admin, post_form,
                                                            sign_in, registry):
    made = post_form(admin, "/beheer/accounts", {
        "email": "fg@bestuur.example", "naam": "FG", "rol": "procurement",
        "wachtwoord": "drie woorden en een zin", "bestuur": B})
    assert made.status_code == 303
    assert registry.accounts.by_email("fg@bestuur.example").board_id == B
    token = post_form(admin, "/beheer/tokens", {"naam": "bestuur-b", "rol": "procurement",
                                                "bestuur": B})
    assert token.status_code == 200 and f"voor schoolbestuur {B}" in token.text
    assert [t.board_id for t in registry.tokens.list()] == [B]
    assert f"<td>{B}</td>" in admin.get("/beheer/tokens").text


@pytest.mark.parametrize("path", ["/beheer/besturen?q=Stichting", "/beheer/besluiten?q=99002",
                                  "/beheer/overeenkomsten?q=bordwerk&partij=99001"])
def test_searching_boards_and_decisions_answers_a_page(staff_client, path):
    answer = staff_client("procurement").get(path)
    assert answer.status_code == 200
    assert "<h1>" in answer.text


def test_the_sector_records_an_agreement_of_a_board_by_its_number(staff_client, post_form,
                                                                  registry):
    client = staff_client("procurement")
    answer = post_form(client, "/beheer/overeenkomsten/nieuw", agreement_form("c-bordwerk", C),
                       page="/beheer/overeenkomsten/nieuw")
    assert answer.status_code == 303, answer.text[:2000]
    assert registry.get("agreements", "c-bordwerk").party == C
    unknown = post_form(client, "/beheer/overeenkomsten/nieuw",
                        agreement_form("x-bordwerk", "12345"),
                        page="/beheer/overeenkomsten/nieuw")
    assert unknown.status_code == 422
    assert not registry.records_by_id("agreements", ["x-bordwerk"])
