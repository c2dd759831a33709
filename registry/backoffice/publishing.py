"""/beheer/publiceren (publishers): what the next publication changes, four eyes, and
proposed policies.

The preview lists tools added, removed and each verdict that changes, from what to what and
why. It starts from the overview's live verdicts per worker (`overview.keeper`), so only the
changed tools are evaluated again for their reasons (`registry.publish.prepare.preview`).
With four eyes on (`Settings.four_eyes`) one publicist prepares the publication (its file is
built and its content's sha256 frozen) and another approves it; the preparer sees no
approve button, and a change after the preparation blocks the approval with the reasons.
With four eyes off "Publiceren" prepares and approves in one step.
(No `from __future__ import annotations`: Litestar reads the handlers' annotations.)
"""

import datetime as dt
from pathlib import Path
from typing import Any

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from registry.backoffice.access import Account, SignedInAccount, signed_in
from registry.backoffice.overview import keeper
from registry.db import Registry
from registry.errors import Conflict
from registry.labels import CHANGE_LABELS, VERDICT_LABELS, dutch_date, dutch_datetime
from registry.labels.publishing import (
    CHANGE_COLUMNS,
    PREPARE_AGAIN,
    PREPARED_BY,
    PROPOSE_AGAIN,
    PUBLISHING_BUTTONS,
    PUBLISHING_DONE,
    PUBLISHING_PROBLEMS,
    STALE_REASONS,
)
from registry.models import Role
from registry.publish import prepare
from registry.publish.prepare_policy import approve_policy

PAGE = "/beheer/publiceren"
PUBLISHER = [signed_in(Role.publisher)]


def four_eyes(request: Request) -> bool:
    settings = request.app.state.get("settings")
    return True if settings is None else bool(settings.four_eyes)


def _in_thread(db_path: Path, work, *args: Any, **kwargs: Any) -> Any:
    registry = Registry(db_path)
    try:
        return work(registry, *args, **kwargs)
    finally:
        registry.close()


def _pending(registry: Registry, today: dt.date, account: Account) -> dict[str, Any]:
    """The pending preparations, each with why it can no longer be approved (without
    hashing the file: the approval does that) and whether this account prepared it."""
    out: dict[str, Any] = {"publication": None, "policies": []}
    for kind in ("publication", "policy"):
        for row in registry.publications.prepared.list(kind, prepare.PENDING):
            why = (prepare.stale(registry, row, today, content=False) if kind == "publication"
                   else prepare.policy_stale(registry, row))
            item = {"prepared": prepare.as_preparation(row), "own": row["prepared_by"] ==
                    account.actor, "why": [STALE_REASONS[w] for w in why]}
            if kind == "publication":
                out["publication"] = out["publication"] or item
            else:
                out["policies"].append(item)
    return out


def _preview(db_path: Path, out_path: Path, today: dt.date, tally) -> prepare.Preview | None:
    if tally is None:
        return None
    return _in_thread(db_path, prepare.preview, out_path, today, prepare.LIMIT, tally.next)


async def _page(request: Request, registry: Registry, account: Account, today: dt.date,
                out_path: Path, *, done: str | None = None, problem: str | None = None,
                why: list[str] | None = None, status: int = 200) -> Template:
    kept = keeper(request)
    tally, current = await anyio.to_thread.run_sync(kept.tally, today)
    found = await anyio.to_thread.run_sync(_preview, registry.path, out_path, today, tally)
    return Template(template_name="beheer/publiceren.html", status_code=status, context={
        "account": account, "section": "publishing", "today": today, "preview": found,
        "current": current, "four_eyes": four_eyes(request),
        **_pending(registry, today, account), "done": PUBLISHING_DONE.get(done or ""),
        "problem": problem, "why": why or [], "verdict_labels": VERDICT_LABELS,
        "change_labels": CHANGE_LABELS, "columns": CHANGE_COLUMNS,
        "buttons": PUBLISHING_BUTTONS, "prepared_by": PREPARED_BY,
        "own_words": PUBLISHING_PROBLEMS["own"], "prepare_again": PREPARE_AGAIN,
        "propose_again": PROPOSE_AGAIN, "dutch_date": dutch_date,
        "dutch_datetime": dutch_datetime, "limit": prepare.LIMIT,
    })


@get(PAGE, guards=PUBLISHER, include_in_schema=False)
async def publishing_page(request: Request, registry: NamedDependency[Registry],
                          account: SignedInAccount, today: NamedDependency[dt.date],
                          whitelist_path: NamedDependency[Path]) -> Template:
    return await _page(request, registry, account, today, whitelist_path,
                       done=request.query_params.get("gedaan"))


@post(f"{PAGE}/voorbereiden", guards=PUBLISHER, include_in_schema=False)
async def prepare_publication(registry: NamedDependency[Registry], account: SignedInAccount,
                              today: NamedDependency[dt.date],
                              whitelist_path: NamedDependency[Path]) -> Response:
    await anyio.to_thread.run_sync(_in_thread, registry.path, prepare.prepare_publication,
                                   whitelist_path, today, account.actor)
    return Redirect(f"{PAGE}?gedaan=voorbereid", status_code=303)


@post(f"{PAGE}/nu", guards=PUBLISHER, include_in_schema=False)
async def publish_at_once(request: Request, registry: NamedDependency[Registry],
                          account: SignedInAccount, today: NamedDependency[dt.date],
                          whitelist_path: NamedDependency[Path]) -> Response:
    if four_eyes(request):
        return await _page(request, registry, account, today, whitelist_path, status=409,
                           problem=PUBLISHING_PROBLEMS["four_eyes"])
    await anyio.to_thread.run_sync(_in_thread, registry.path, prepare.publish_at_once,
                                   whitelist_path, today, account.actor)
    return Redirect(f"{PAGE}?gedaan=gepubliceerd", status_code=303)


@post(f"{PAGE}/{{prepared_id:str}}/goedkeuren", guards=PUBLISHER, include_in_schema=False)
async def approve(request: Request, registry: NamedDependency[Registry],
                  account: SignedInAccount, today: NamedDependency[dt.date],
                  whitelist_path: NamedDependency[Path], prepared_id: FromPath[str]
                  ) -> Response:
    kind = _kind(registry, prepared_id)
    own = not four_eyes(request)
    try:
        if kind == "publication":
            await anyio.to_thread.run_sync(
                lambda: _in_thread(registry.path, prepare.approve_publication, whitelist_path,
                                   prepared_id, today, account.actor, own=own))
        else:
            approve_policy(registry, prepared_id, account.actor, own=own)
    except prepare.SelfApproval:
        return await _page(request, registry, account, today, whitelist_path, status=403,
                           problem=PUBLISHING_PROBLEMS["own"])
    except prepare.Stale as exc:
        again = PREPARE_AGAIN if kind == "publication" else PROPOSE_AGAIN
        return await _page(request, registry, account, today, whitelist_path, status=409,
                           problem=PUBLISHING_PROBLEMS["stale"],
                           why=[STALE_REASONS[w] for w in exc.why] + [again])
    except Conflict:
        return await _page(request, registry, account, today, whitelist_path, status=409,
                           problem=PUBLISHING_PROBLEMS["decided"])
    return Redirect(f"{PAGE}?gedaan={'gepubliceerd' if kind == 'publication' else 'beleid'}",
                    status_code=303)


@post(f"{PAGE}/{{prepared_id:str}}/intrekken", guards=PUBLISHER, include_in_schema=False)
async def withdraw(request: Request, registry: NamedDependency[Registry],
                   account: SignedInAccount, today: NamedDependency[dt.date],
                   whitelist_path: NamedDependency[Path], prepared_id: FromPath[str]
                   ) -> Response:
    try:
        prepare.withdraw(registry, prepared_id, _kind(registry, prepared_id), account.actor)
    except Conflict:
        return await _page(request, registry, account, today, whitelist_path, status=409,
                           problem=PUBLISHING_PROBLEMS["decided"])
    return Redirect(f"{PAGE}?gedaan=ingetrokken", status_code=303)


def _kind(registry: Registry, prepared_id: str) -> str:
    row = registry.publications.prepared.get(prepared_id)
    return row["kind"] if row else "publication"  # unknown: `pending` answers 404


HANDLERS = [publishing_page, prepare_publication, publish_at_once, approve, withdraw]
