"""Vendors, tools, agreements and assessments under /beheer: a list per kind (`lists`), a form
to create and edit, a tool's live verdict and the preview of an unsaved one, a record's history, and
archive / restore. For procurement staff (and the roles above).

One controller per kind, made by one factory, as the API's are. A form is read and checked by
`forms` with the same models the API decodes into and saved by the same `Registry` calls, so
the back office refuses exactly what the API refuses, in Dutch, next to each field. A save
carries the version the form was read at: a stale one shows what the other person changed
(`history.merge`) and keeps everything that was typed.
(No `from __future__ import annotations`: Litestar reads the handlers' annotations.)
"""

import datetime as dt
import re
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from registry import labels
from registry.labels import records as record_labels
from registry.backoffice import formcheck, forms, formview, history
from registry.backoffice.errorwords import dutch_error
from registry.backoffice.access import Account, SignedInAccount
from registry.backoffice.formspec import form_of, show
from registry.backoffice.lists import (SCOPED, SEGMENTS, guards_for, list_handler, number,
                                       owned, record_url)
from registry.labels.board_office import BOARD_FORM_MESSAGES
from registry.db import Registry
from registry.errors import Conflict, Invalid, PreconditionFailed
from registry.store.kinds import KINDS
from registry.store.records import NAMED, page
from registry.store.references import value_of
from registry.store.rows import to_builtins
from registry.verdict import evaluate
from registry.verdicts import current_policy, verdict_for

SELECT_LIMIT = 200
"""Up to this many vendors, a reference to one is a select; more, a text field with lookup."""
NOTICES = ("aangemaakt", "opgeslagen", "gearchiveerd", "teruggezet", "verouderd",
           "al-gearchiveerd", "niet-gearchiveerd")
"""What a record's page says after a change (`?melding=`), in record-notice.html."""
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


async def posted(request: Request) -> dict[str, list[str]]:
    """A form's fields, each with its values (text only)."""
    form = await request.form()
    return {key: [v for v in form.getall(key) if isinstance(v, str)] for key in form.keys()}


# --- forms ---------------------------------------------------------------------------------------


def lookup(registry: Registry) -> forms.Lookup:
    """A reference typed as an id or a name (see `formcheck.resolve_references`)."""
    def find(target: str, text: str) -> tuple[list, list]:
        text = text.strip()
        if _SLUG.match(text.lower()):
            found = registry.records_by_id(target, [text.lower()])
            if found:
                record = found[text.lower()]
                return [(record.id, getattr(record, "name", record.id))], []
        if target not in NAMED:  # no search by name (boards): only its id, as above
            return [], []
        near, _ = page(registry.store, KINDS[target], q=text, archived="include", limit=20)
        pairs = [(r.id, getattr(r, "name", r.id)) for r in near]
        return [p for p in pairs if p[1].casefold() == text.casefold()], pairs[:5]
    return find


def _owners(registry: Registry, kind: str, record: Any):
    """For `formcheck.check_references`: the owner of each record the form names."""
    owners: dict[tuple[str, str], str] = {}
    for ref in KINDS[kind].references:
        if ref.same is not None:
            ids = [i for i in value_of(record, ref.field) or [] if isinstance(i, str)]
            for target_id, target in registry.records_by_id(ref.target, ids).items():
                owners[ref.target, target_id] = getattr(target, ref.same)
    return lambda target, target_id: owners.get((target, target_id))


def _choices(kind: str, registry: Registry, reading: forms.Reading) -> formview.Choices:
    choices = formview.Choices()
    if any(ref.target == "vendors" for ref in KINDS[kind].references):
        vendors, total = page(registry.store, KINDS["vendors"], limit=SELECT_LIMIT)
        if total <= SELECT_LIMIT:
            choices.vendors = sorted(((v.id, v.name) for v in vendors),
                                     key=lambda pair: pair[1].casefold())
            chosen = reading.values.get("vendor_id")
            if chosen and chosen not in dict(choices.vendors):  # archived, or not found
                choices.vendors.append((chosen, chosen))
    if kind == "agreements" and isinstance(reading.doc.get("vendor_id"), str):
        tools, _ = page(registry.store, KINDS["tools"], limit=SELECT_LIMIT,
                        filters={"vendor": reading.doc["vendor_id"]})
        choices.tools = [(t.id, t.name) for t in tools]
    return choices


def _form_page(kind: str, registry: Registry, account: Account, reading: forms.Reading, *,
               record: Any = None, version: int | None = None, empty: dict | None = None,
               show_errors: bool = True, status: int = 200, **extra: Any) -> Template:
    """The page of a form: a new record's (`record` None) or an existing one's."""
    choices = _choices(kind, registry, reading)
    if not show_errors:
        reading.errors = {}
    locked = {"id"} if record is not None else set()
    if account.board_id is not None and kind in SCOPED:  # its own board's, fixed
        locked.add(SCOPED[kind])
    items = formview.build(kind, reading, choices, empty_rows=empty, locked=frozenset(locked))
    context = {
        "account": account, "section": kind, "kind": kind, "segment": SEGMENTS[kind],
        "words": record_labels.RECORD_WORDS[kind], "items": items, "choices": choices,
        "errors": formview.error_list(items), "summary": forms.summary(reading.errors),
        "version": version, "record": record, "preview": None, "verdict": None,
        "conflict": None, "notice": None, "details": None, "preview_asked": False,
        "rule_labels": labels.RULE_LABELS, "dutch_date": labels.dutch_date,
        "action": record_url(kind, record.id) if record is not None
        else f"/beheer/{SEGMENTS[kind]}/nieuw",
        **extra,
    }
    if record is not None:
        context["title"] = getattr(record, "name", None) or record.id
    return Template("beheer/record.html" if record is not None else "beheer/formulier.html",
                    context=context, status_code=status)


def _preview(registry: Registry, tool: msgspec.Struct, today: dt.date):
    """The verdict the tool would get as the form has it (nothing is saved)."""
    vendor = registry.records_by_id("vendors", [tool.vendor_id]).get(tool.vendor_id)
    agreements, _ = registry.list("agreements", tool=tool.id, limit=None)
    assessments, _ = registry.list("assessments", tool=tool.id, limit=None)
    return evaluate(tool, vendor, agreements, assessments, current_policy(registry), today)


async def submit(kind: str, request: Request, registry: Registry, account: Account,
                 today: dt.date, record: Any = None) -> Template | Redirect:
    """A posted form: "Nog een regel", "Oordeel bekijken" or a save (`actie`)."""
    data = await posted(request)
    action = forms.first(data, "actie") or "opslaan"
    version = number(forms.first(data, "versie"))
    reading = forms.read_form(kind, data)
    if record is not None:  # ids never change
        reading.doc["id"] = reading.values["id"] = record.id
    if account.board_id is not None and kind in SCOPED:  # nor a board account's board
        reading.doc[SCOPED[kind]] = reading.values[SCOPED[kind]] = account.board_id
    formcheck.resolve_references(reading, lookup(registry))
    checked = formcheck.check(reading)
    as_typed = checked if checked is not None else reading.doc
    formcheck.check_references(reading, as_typed, _owners(registry, kind, as_typed))
    if checked is not None:
        if record is None and registry.records_by_id(kind, [checked.id]):
            reading.error("id", "id_taken", record=record_labels.RECORD_WORDS[kind][0], id=checked.id)
    ok = checked is not None and not reading.errors
    empty = formview.empty_rows(data, reading, action)
    page_of = dict(record=record, version=version, empty=empty)
    if action.startswith(formview.MORE):
        return _form_page(kind, registry, account, reading, show_errors=False, **page_of,
                          **_live(kind, registry, record, today))
    if action == "voorbeeld" and kind == "tools":
        preview = _preview(registry, checked, today) if ok else None
        return _form_page(kind, registry, account, reading, preview=preview,
                          preview_asked=True, status=200 if ok else 422, **page_of,
                          **_live(kind, registry, record, today))
    if not ok:
        return _form_page(kind, registry, account, reading, status=422, **page_of,
                          **_live(kind, registry, record, today))
    try:
        if record is None:
            saved = registry.create(kind, checked, account.actor)
        else:
            saved = registry.update(kind, record.id, checked, account.actor,
                                    {version} if version is not None else set())
    except PreconditionFailed:
        return _conflict(kind, request, registry, account, reading, checked, record, version,
                         empty, today)
    except Conflict as exc:
        if _board_rule(kind, exc, reading):  # one live decision per board and tool
            return _form_page(kind, registry, account, reading, status=409, **page_of)
        if record is None:  # created by someone else meanwhile
            reading.error("id", "id_taken", record=record_labels.RECORD_WORDS[kind][0], id=checked.id)
            return _form_page(kind, registry, account, reading, status=409, **page_of)
        return Redirect(record_url(kind, record.id, "?melding=al-gearchiveerd"), status_code=303)
    except Invalid as exc:  # a reference removed meanwhile, or a rule of board decisions
        _board_rule(kind, exc, reading)
        for error in exc.errors:
            name = error.field.removeprefix("$.")
            reading.errors.setdefault(name, dutch_error(kind, error.field, error.message))
        return _form_page(kind, registry, account, reading, status=422, **page_of)
    notice = "aangemaakt" if record is None else "opgeslagen"
    return Redirect(record_url(kind, saved.id, f"?melding={notice}"), status_code=303)


def _board_rule(kind: str, exc: Invalid | Conflict, reading: forms.Reading) -> bool:
    """The store's rules of board decisions, in the form's words: one live decision per board
    and tool (`tool_id`), and no own approval of a tool the sector rejected (`decision`)."""
    if kind != "board_decisions":
        return False
    found = False
    for error in exc.errors:
        key = {"$.tool_id": "decision_taken", "$.decision": "own_approval_refused"}.get(
            error.field)
        if key and error.field.removeprefix("$.") not in reading.errors:
            reading.errors[error.field.removeprefix("$.")] = BOARD_FORM_MESSAGES[key]
            found = True
    return found


def _live(kind: str, registry: Registry, record: Any, today: dt.date) -> dict:
    """A tool's live verdict, for its page."""
    if kind != "tools" or record is None:
        return {}
    return {"verdict": verdict_for(registry, record.id, today)}


def _conflict(kind: str, request: Request, registry: Registry, account: Account,
              reading: forms.Reading, checked: msgspec.Struct, record: Any, version: int | None,
              empty: dict, today: dt.date) -> Template:
    """Someone saved the record since this form was read: show what they changed, and the
    form again with their changes and everything this person typed."""
    current = registry.get(kind, record.id)
    events = registry.audit.since(kind, record.id, version or 0)
    base = events[0].before if events and events[0].before else to_builtins(current)
    clash = history.merge(kind, base, to_builtins(checked), to_builtins(current), events)
    try:
        merged = msgspec.convert(clash.merged, KINDS[kind].input)
        shown = forms.values_of(kind, merged)
    except msgspec.ValidationError:  # theirs and mine do not fit together: keep mine
        shown = reading
    if current.archived_at is not None:
        return Redirect(record_url(kind, record.id, "?melding=al-gearchiveerd"), status_code=303)
    return _form_page(kind, registry, account, shown, record=current, version=current.version,
                      empty=empty, conflict=clash, status=409,
                      **_live(kind, registry, current, today))


def _prefill(kind: str, query: Any, account: Account) -> forms.Reading:
    """A new record's form, with the references its link gave ("Nieuwe beoordeling" on a
    tool's page) and a board account's board; every other input shows its model's default."""
    reading, names = forms.Reading(kind), {item.name for item in form_of(kind)}
    board = account.board_id or query.get("bestuur") or ""  # "Nieuw besluit" on a board's page
    if kind in SCOPED and len(board) == 5 and board.isdigit():
        reading.values[SCOPED[kind]] = reading.doc[SCOPED[kind]] = board
    vendor, tool = query.get("leverancier") or "", query.get("tool") or ""
    if "vendor_id" in names and _SLUG.match(vendor):
        reading.values["vendor_id"] = reading.doc["vendor_id"] = vendor
    if "tool_id" in names and _SLUG.match(tool):
        reading.values["tool_id"] = tool
    if "tool_ids" in names and _SLUG.match(tool):
        reading.values["tool_ids[0]"], reading.rows["tool_ids"] = tool, 1
    if kind == "tools":  # "Nieuwe tool aanmaken" from a review request: its name and address
        from registry.backoffice.requests import suggested_id

        name, website = (query.get("naam") or "").strip()[:200], (
            query.get("website") or "").strip()[:2000]
        if website and "://" not in website:  # as the teacher typed it: "plakbord.nl/les"
            website = "https://" + website
        if name:
            reading.values["name"] = name
            if _SLUG.match(suggested_id(name)):
                reading.values["id"] = suggested_id(name)
        if website:
            reading.values["website"] = website
            host, _ = forms.to_host(website)
            if host:
                reading.values["domains[0].host"], reading.rows["domains"] = host, 1
    return reading


def _new_handlers(kind: str):
    @get("/nieuw", guards=guards_for(kind), name=f"beheer-{kind}-nieuw")
    async def new_page(self, request: Request, registry: NamedDependency[Registry],
                       account: SignedInAccount) -> Template:
        return _form_page(kind, registry, account,
                          _prefill(kind, request.query_params, account))

    @post("/nieuw", guards=guards_for(kind), name=f"beheer-{kind}-maak")
    async def create(self, request: Request, registry: NamedDependency[Registry],
                     account: SignedInAccount, today: NamedDependency[dt.date]
                     ) -> Template | Redirect:
        return await submit(kind, request, registry, account, today)

    return new_page, create


def _change_handler(kind: str, verb: str, done: str):
    """Archive (`archiveren`) or restore (`terugzetten`) a record; `done` names the notice."""
    @post(f"/{{record_id:str}}/{verb}", guards=guards_for(kind), name=f"beheer-{kind}-{verb}")
    async def handler(self, request: Request, registry: NamedDependency[Registry],
                      account: SignedInAccount, record_id: FromPath[str]) -> Redirect:
        owned(account, kind, registry.get(kind, record_id))
        data = await posted(request)
        version = number(forms.first(data, "versie"))
        act = registry.archive if verb == "archiveren" else registry.restore
        try:
            act(kind, record_id, account.actor, {version} if version is not None else set())
        except PreconditionFailed:
            return Redirect(record_url(kind, record_id, "?melding=verouderd"),
                            status_code=303)
        except Conflict:
            already = "al-gearchiveerd" if verb == "archiveren" else "niet-gearchiveerd"
            return Redirect(record_url(kind, record_id, f"?melding={already}"),
                            status_code=303)
        return Redirect(record_url(kind, record_id, f"?melding={done}"), status_code=303)

    handler.__name__ = verb
    return handler


def _record_handlers(kind: str):
    @get("/{record_id:str}", guards=guards_for(kind), name=f"beheer-{kind}-record")
    async def record_page(self, request: Request, registry: NamedDependency[Registry],
                          account: SignedInAccount, today: NamedDependency[dt.date],
                          record_id: FromPath[str]) -> Template:
        record = owned(account, kind, registry.get(kind, record_id))
        notice = request.query_params.get("melding")
        details = None
        if record.archived_at is not None:
            details = [(record_labels.field_label(kind, item.name),
                        show(kind, item.name, getattr(record, item.name)))
                       for item in form_of(kind)]
        return _form_page(kind, registry, account, forms.values_of(kind, record), record=record,
                          version=record.version, details=details,
                          archived_on=record.archived_at and labels.dutch_datetime(
                              record.archived_at),
                          notice=notice if notice in NOTICES else None,
                          **_live(kind, registry, record, today))

    @post("/{record_id:str}", guards=guards_for(kind), name=f"beheer-{kind}-bewaar")
    async def save(self, request: Request, registry: NamedDependency[Registry],
                   account: SignedInAccount, today: NamedDependency[dt.date],
                   record_id: FromPath[str]) -> Template | Redirect:
        record = owned(account, kind, registry.get(kind, record_id))
        if record.archived_at is not None:
            return Redirect(record_url(kind, record_id, "?melding=al-gearchiveerd"),
                            status_code=303)
        return await submit(kind, request, registry, account, today, record)

    @get("/{record_id:str}/geschiedenis", guards=guards_for(kind),
         name=f"beheer-{kind}-geschiedenis")
    async def history_page(self, registry: NamedDependency[Registry], account: SignedInAccount,
                           record_id: FromPath[str]) -> Template:
        record = owned(account, kind, registry.get(kind, record_id))
        return Template("beheer/geschiedenis.html", context={
            "account": account, "section": kind, "kind": kind, "segment": SEGMENTS[kind],
            "words": record_labels.RECORD_WORDS[kind], "record": record,
            "title": getattr(record, "name", None) or record.id,
            "entries": history.timeline(kind, registry.audit.history(kind, record_id)),
        })

    return (record_page, save, history_page, _change_handler(kind, "archiveren", "gearchiveerd"),
            _change_handler(kind, "terugzetten", "teruggezet"))


def records_controller(kind: str) -> type[Controller]:
    new_page, create = _new_handlers(kind)
    record_page, save, history_page, archive, restore = _record_handlers(kind)
    return type(f"Beheer{KINDS[kind].stored.__name__}Controller", (Controller,), {
        "path": f"/beheer/{SEGMENTS[kind]}",
        "include_in_schema": False,
        "list_page": list_handler(kind), "new_page": new_page, "create": create,
        "record_page": record_page, "save": save, "history_page": history_page,
        "archive": archive, "restore": restore,
    })


HANDLERS = [records_controller(kind) for kind in KINDS]
