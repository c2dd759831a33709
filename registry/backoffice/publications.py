"""The list of publications (`/beheer/publicaties`) and rollback from it.

Procurement may look; a publisher may restore a kept earlier version ("Deze versie
terugzetten"): a confirmation form (CSRF) and then a redirect (303) back to the list, which
says "Versie N+2 zet versie N terug". One publisher suffices: the content was approved when
it was first published (`registry.publish.rollback`).
(No `from __future__ import annotations`: Litestar reads the handlers' annotations.)
"""

from pathlib import Path

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from registry.auth import includes
from registry.backoffice import access
from registry.backoffice.access import SignedInAccount
from registry.db import Registry
from registry.errors import Conflict, NotFound
from registry.labels import dutch_datetime
from registry.labels.rollback import (
    PUBLICATION_WORDS,
    RESTORE_BUTTON,
    RESTORE_CONFIRM,
    RESTORE_CURRENT,
    RESTORE_NOT_KEPT,
    RESTORED_NOTICE,
    RESTORES,
)
from registry.models import Role
from registry.publish import Publication, kept, publications
from registry.publish.rollback import NotKept, restorable, restore

PAGE = "/beheer/publicaties"
SEE = [access.signed_in(Role.procurement)]
ACT = [access.signed_in(Role.publisher)]


def _who(publication: Publication) -> str:
    words = PUBLICATION_WORDS
    if publication.restores_version:
        return (RESTORES.format(version=publication.restores_version) + ", "
                + words["published_by"].format(name=publication.actor))
    if publication.prepared_by:
        return ", ".join([words["prepared_by"].format(name=publication.prepared_by),
                          words["approved_by"].format(name=publication.approved_by
                                                      or publication.actor)])
    return words["published_by"].format(name=publication.actor)


def _row(publication: Publication, kept_versions: set[int], can_restore: set[int]) -> dict:
    changes = publication.changes
    return {
        "version": publication.version,
        "date": dutch_datetime(publication.published_at),
        "policy": publication.policy_version,
        "tools": publication.counts.get("tools", 0),
        "changes": PUBLICATION_WORDS["change_counts"].format(
            added=changes.added, removed=changes.removed, changed=changes.verdict_changed),
        "who": _who(publication),
        "kept": publication.version in kept_versions,
        "restorable": publication.version in can_restore,
    }


def _page(registry: Registry, whitelist_path: Path, account: access.Account, *,
          done: str | None = None, error: str | None = None, status: int = 200) -> Template:
    found = publications(registry)
    kept_versions = set(kept.versions(whitelist_path))
    may_act = account.role is not None and includes(account.role, Role.publisher)
    can_restore = set(restorable(registry, whitelist_path)) if may_act else set()
    return Template(template_name="beheer/publicaties.html", status_code=status, context={
        "account": account, "section": "publications", "words": PUBLICATION_WORDS,
        "keep": kept.KEEP, "rows": [_row(p, kept_versions, can_restore) for p in found],
        "current": found[0].version if found else None, "button": RESTORE_BUTTON,
        "done": done, "error": error, "confirm": None,
    })


def _notice(registry: Registry, value: str | None) -> str | None:
    """"Versie N+2 zet versie N terug" for the publication `value` (from the redirect), when
    it is a rollback."""
    if not value or not value.isdigit():
        return None
    for publication in publications(registry):
        if publication.version == int(value) and publication.restores_version:
            return RESTORED_NOTICE.format(version=publication.version,
                                          restores=publication.restores_version)
    return None


@get(PAGE, guards=SEE, include_in_schema=False)
async def publications_page(request: Request, registry: NamedDependency[Registry],
                            whitelist_path: NamedDependency[Path],
                            account: SignedInAccount) -> Template:
    done = _notice(registry, request.query_params.get("teruggezet"))
    return _page(registry, whitelist_path, account, done=done)


def _refused(registry: Registry, whitelist_path: Path, account: access.Account,
             version: int) -> Template:
    """The list, saying why `version` cannot be restored; a version never published is a
    404 page (`NotFound`)."""
    found = {p.version: p for p in publications(registry)}
    if version not in found:
        raise NotFound("publication", str(version))
    if version == max(found):
        return _page(registry, whitelist_path, account, status=409,
                     error=RESTORE_CURRENT.format(version=version))
    return _page(registry, whitelist_path, account, status=404,
                 error=RESTORE_NOT_KEPT.format(version=version, keep=kept.KEEP))


@get(f"{PAGE}/{{version:int}}/terugzetten", guards=ACT, include_in_schema=False)
async def confirm_page(version: FromPath[int], registry: NamedDependency[Registry],
                       whitelist_path: NamedDependency[Path],
                       account: SignedInAccount) -> Template:
    if version not in restorable(registry, whitelist_path):
        return _refused(registry, whitelist_path, account, version)
    found = {p.version: p for p in publications(registry)}
    publication = found[version]
    page = _page(registry, whitelist_path, account)
    page.context["confirm"] = {
        "version": version, "button": RESTORE_CONFIRM.format(version=version),
        "title": PUBLICATION_WORDS["confirm_title"].format(version=version),
        "text": PUBLICATION_WORDS["confirm_text"].format(
            version=version, date=dutch_datetime(publication.published_at),
            tools=publication.counts.get("tools", 0), next=max(found) + 1),
    }
    return page


def _restore_in_thread(db_path: Path, out_path: Path, version: int, actor: str) -> Publication:
    registry = Registry(db_path)  # its own connection: a worker thread, as the API does
    try:
        return restore(registry, out_path, version, actor)
    finally:
        registry.close()


@post(f"{PAGE}/{{version:int}}/terugzetten", guards=ACT, include_in_schema=False)
async def restore_version(version: FromPath[int], registry: NamedDependency[Registry],
                          whitelist_path: NamedDependency[Path],
                          account: SignedInAccount) -> Response:
    try:
        publication = await anyio.to_thread.run_sync(
            _restore_in_thread, registry.path, whitelist_path, version, account.actor)
    except NotKept:
        return _refused(registry, whitelist_path, account, version)
    except Conflict:
        if version not in restorable(registry, whitelist_path):  # the served one
            return _refused(registry, whitelist_path, account, version)
        raise  # another publication meanwhile: the Dutch 409 page
    return Redirect(f"{PAGE}?teruggezet={publication.version}", status_code=303)


HANDLERS = [publications_page, confirm_page, restore_version]
