"""Admin pages: staff accounts (create, approve, change role, disable, enable) and API tokens
(create, shown once; revoke). Admins only; every change is a POST with a CSRF token and
then a redirect (303) back to the list, which says what was done.

An account or a token may be scoped to one school board (its number, `bestuur`; empty: the
sector): it then works only with that board's decisions and agreements (see `access`).

An admin cannot disable their own account or change their own role or board: the last admin
could otherwise lock everybody out.
(No `from __future__ import annotations`: Litestar reads the handlers' annotations.)
"""

from pathlib import Path
from typing import Any

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from registry.auth import TOKEN_ROLES
from registry.backoffice import access
from registry.backoffice.access import SignedInAccount
from registry.labels.board_office import BOARD_DONE, BOARD_FORM_MESSAGES, BOARD_SCOPE_WORDS
from registry.labels.records import ROLE_NAMES
from registry.db import Registry
from registry.errors import Conflict, Invalid, NotFound
from registry.models import Role
from registry.store.accounts import email_problem, name_problem, normal_email, password_problem

ADMIN = [access.signed_in(Role.admin)]
ACCOUNTS = "/beheer/accounts"
TOKENS = "/beheer/tokens"
DONE = {
    "aangemaakt": "Het account is aangemaakt.",
    "rol": "De rol is gewijzigd.",
    "uitgeschakeld": "Het account is uitgeschakeld; de medewerker is meteen uitgelogd.",
    "ingeschakeld": "Het account is weer ingeschakeld.",
    "ingetrokken": "Het token is ingetrokken en werkt niet meer.",
    **BOARD_DONE,
}
ROLE_HELP = {
    Role.procurement: "leveranciers, tools, overeenkomsten en beoordelingen bijhouden",
    Role.publisher: "daarnaast publiceren en de minimumeisen vaststellen",
    Role.admin: "daarnaast accounts en API-tokens beheren",
}


BOARD_CHOICES = 1000
"""Up to this many boards are offered as suggestions to the board's input."""


def _board(registry: Registry, value: Any) -> tuple[str | None, str | None]:
    """(the board's number or None for the sector, what is wrong with it in Dutch or None)."""
    text = str(value or "").strip()
    if not text:
        return None, None
    if len(text) != 5 or not text.isdigit():
        return None, BOARD_FORM_MESSAGES["board_number"]
    found = registry.records_by_id("boards", [text]).get(text)
    if found is None or found.archived_at is not None:
        return None, BOARD_FORM_MESSAGES["no_board"].format(id=text)
    return text, None


def _boards(registry: Registry) -> list[tuple[str, str]]:
    """(number, name) of the live boards, for the board inputs' suggestions."""
    boards, _ = registry.list("boards", limit=BOARD_CHOICES)
    return [(b.id, b.name) for b in boards]


def _role(value: Any, allowed: tuple[Role, ...] = tuple(Role)) -> Role | None:
    try:
        role = Role(str(value))
    except ValueError:
        return None
    return role if role in allowed else None


# --- accounts ---------------------------------------------------------------------------------

def _accounts_page(registry: Registry, account: access.Account, *, done: str | None = None,
                   errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                   status: int = 200) -> Template:
    return Template(template_name="beheer/accounts.html", status_code=status, context={
        "account": account, "section": "accounts", "accounts": registry.accounts.list(),
        "roles": ROLE_NAMES, "role_help": ROLE_HELP, "done": DONE.get(done or ""),
        "errors": errors or {}, "values": values or {}, "boards": _boards(registry),
        "board_words": BOARD_SCOPE_WORDS,
    })


@get(ACCOUNTS, guards=ADMIN, include_in_schema=False)
async def accounts_page(request: Request, registry: NamedDependency[Registry],
                        account: SignedInAccount) -> Template:
    return _accounts_page(registry, account, done=request.query_params.get("gedaan"))


def _create_in_thread(db_path: Path, hasher, email: str, name: str, role: Role, password: str,
                      actor: str, board_id: str | None = None) -> None:
    registry = Registry(db_path)
    try:
        registry.accounts.hasher = hasher
        registry.accounts.create(email, name, role, password, actor, board_id=board_id)
    finally:
        registry.close()


@post(ACCOUNTS, guards=ADMIN, include_in_schema=False)
async def create_account(request: Request, registry: NamedDependency[Registry],
                         account: SignedInAccount) -> Response:
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in ("email", "naam", "rol", "bestuur")}
    password = str(form.get("wachtwoord") or "")
    role = _role(values["rol"])
    board_id, board_problem = _board(registry, values["bestuur"])
    # Every problem at once (the store checks them again, and the address's uniqueness).
    problems = {"email": email_problem(normal_email(values["email"])),
                "naam": name_problem(values["naam"]),
                "wachtwoord": password_problem(password) if password else
                "Vul een eerste wachtwoord in.",
                "rol": None if role else "Kies een rol.", "bestuur": board_problem}
    errors = {field: problem for field, problem in problems.items() if problem}
    if not errors:
        try:
            await anyio.to_thread.run_sync(
                _create_in_thread, registry.path, request.app.state.backoffice.hasher,
                values["email"], values["naam"], role, password, account.actor, board_id)
        except (Invalid, Conflict) as exc:
            errors = {_FIELDS.get(e.field, "email"): e.message for e in exc.errors} or {
                "email": exc.detail}
    if errors:
        return _accounts_page(registry, account, errors=errors, values=values, status=400)
    return Redirect(f"{ACCOUNTS}?gedaan=aangemaakt", status_code=303)


_FIELDS = {"$.email": "email", "$.name": "naam", "$.password": "wachtwoord",
           "$.board_id": "bestuur"}


def _other(registry: Registry, account: access.Account, account_id: str):
    """The account to change; never the admin's own (see the module)."""
    if account_id == account.id:
        return None
    registry.accounts.get(account_id)  # NotFound: a 404 page
    return account_id


def _self_refused(registry: Registry, account: access.Account, what: str) -> Template:
    return _accounts_page(registry, account, status=400, errors={
        "self": f"Je kunt {what} van je eigen account niet wijzigen; vraag een andere beheerder."})


@post(f"{ACCOUNTS}/{{account_id:str}}/rol", guards=ADMIN, include_in_schema=False)
async def set_role(request: Request, account_id: FromPath[str], registry: NamedDependency[Registry],
                   account: SignedInAccount) -> Response:
    form = await request.form()
    role = _role(form.get("rol"))
    if _other(registry, account, account_id) is None:
        return _self_refused(registry, account, "de rol")
    if role is None:
        return _accounts_page(registry, account, status=400, errors={"self": "Kies een rol."})
    registry.accounts.set_role(account_id, role, account.actor)
    return Redirect(f"{ACCOUNTS}?gedaan=rol", status_code=303)


@post(f"{ACCOUNTS}/{{account_id:str}}/bestuur", guards=ADMIN, include_in_schema=False)
async def set_board(request: Request, account_id: FromPath[str],
                    registry: NamedDependency[Registry], account: SignedInAccount) -> Response:
    form = await request.form()
    if _other(registry, account, account_id) is None:
        return _self_refused(registry, account, "het schoolbestuur")
    board_id, problem = _board(registry, form.get("bestuur"))
    if problem:
        return _accounts_page(registry, account, status=400, errors={"self": problem})
    try:
        registry.accounts.set_board(account_id, board_id, account.actor)
    except Invalid:  # archived meanwhile
        return _accounts_page(registry, account, status=400, errors={
            "self": BOARD_FORM_MESSAGES["no_board"].format(id=board_id)})
    return Redirect(f"{ACCOUNTS}?gedaan=bestuur", status_code=303)


@post(f"{ACCOUNTS}/{{account_id:str}}/uitschakelen", guards=ADMIN, include_in_schema=False)
async def disable_account(account_id: FromPath[str], registry: NamedDependency[Registry],
                          account: SignedInAccount) -> Response:
    if _other(registry, account, account_id) is None:
        return _self_refused(registry, account, "de toegang")
    registry.accounts.disable(account_id, account.actor)
    return Redirect(f"{ACCOUNTS}?gedaan=uitgeschakeld", status_code=303)


@post(f"{ACCOUNTS}/{{account_id:str}}/inschakelen", guards=ADMIN, include_in_schema=False)
async def enable_account(account_id: FromPath[str], registry: NamedDependency[Registry],
                         account: SignedInAccount) -> Response:
    if _other(registry, account, account_id) is None:
        return _self_refused(registry, account, "de toegang")
    registry.accounts.enable(account_id, account.actor)
    return Redirect(f"{ACCOUNTS}?gedaan=ingeschakeld", status_code=303)


# --- API tokens -------------------------------------------------------------------------------

def _tokens_page(registry: Registry, account: access.Account, *, done: str | None = None,
                 errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                 created=None, secret: str | None = None, status: int = 200) -> Template:
    page = Template(template_name="beheer/tokens.html", status_code=status, context={
        "account": account, "section": "tokens", "tokens": registry.tokens.list(),
        "roles": {r: ROLE_NAMES[r] for r in TOKEN_ROLES}, "role_help": ROLE_HELP,
        "done": DONE.get(done or ""), "errors": errors or {}, "values": values or {},
        "created": created, "secret": secret, "boards": _boards(registry),
        "board_words": BOARD_SCOPE_WORDS,
    })
    if secret:  # shown once: no copy in any cache
        page.headers["Cache-Control"] = "no-store"
    return page


@get(TOKENS, guards=ADMIN, include_in_schema=False)
async def tokens_page(request: Request, registry: NamedDependency[Registry],
                      account: SignedInAccount) -> Template:
    return _tokens_page(registry, account, done=request.query_params.get("gedaan"))


@post(TOKENS, guards=ADMIN, include_in_schema=False, status_code=200)
async def create_token(request: Request, registry: NamedDependency[Registry],
                       account: SignedInAccount) -> Template:
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in ("naam", "rol", "bestuur")}
    role = _role(values["rol"], TOKEN_ROLES)
    board_id, board_problem = _board(registry, values["bestuur"])
    errors = {"bestuur": board_problem} if board_problem else {}
    if not values["naam"]:
        errors["naam"] = "Vul een naam in: wie of wat het token gebruikt."
    elif len(values["naam"]) > 100:
        errors["naam"] = "De naam mag hoogstens 100 tekens lang zijn."
    if role is None:
        errors["rol"] = "Kies een rol."
    if not errors:
        try:
            created, secret = registry.tokens.create(values["naam"], role, board_id=board_id)
        except Conflict:
            errors["naam"] = "Er is al een token met deze naam; kies een andere naam."
        except Invalid:  # its board archived meanwhile
            errors["bestuur"] = BOARD_FORM_MESSAGES["no_board"].format(id=board_id)
        else:
            return _tokens_page(registry, account, created=created, secret=secret)
    return _tokens_page(registry, account, errors=errors, values=values, status=400)


@post(f"{TOKENS}/{{token_id:str}}/intrekken", guards=ADMIN, include_in_schema=False)
async def revoke_token(token_id: FromPath[str], registry: NamedDependency[Registry],
                       account: SignedInAccount) -> Response:
    if not any(t.id == token_id and t.revoked_at is None for t in registry.tokens.list()):
        raise NotFound("active token", token_id)
    registry.tokens.revoke(token_id)
    return Redirect(f"{TOKENS}?gedaan=ingetrokken", status_code=303)


HANDLERS = [accounts_page, create_account, set_role, set_board, disable_account, enable_account,
            tokens_page, create_token, revoke_token]
