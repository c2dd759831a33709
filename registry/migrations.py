"""Numbered schema migrations. An applied migration is never edited: add a new one."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("registry")

META = {"version": int, "created_at": str, "updated_at": str, "archived_at": str}
RECORD_TABLES = ("vendors", "tools", "agreements", "assessments", "review_requests")


@migrations(name="0001_records")
def m0001_records(db: Database) -> None:
    db["vendors"].create(
        {
            "id": str, "name": str, "kvk_number": str, "country": str, "website": str,
            "covenant_status": str, "covenant_since": str, "certifications": str,
            "privacy_contact": str, "internal_notes": str, **META,
        },
        pk="id",
        not_null={"name", "country", "covenant_status", "version", "created_at", "updated_at"},
    )
    db["tools"].create(
        {
            "id": str, "vendor_id": str, "name": str, "description": str, "website": str,
            "domains": str, "category": str, "levels": str, "audience": str,
            "free_of_charge": int, "minimum_age": int, "usable_without_personal_data": int,
            "processes_personal_data": int, "data_categories": str, "data_locations": str,
            "sub_processors": str, "retention": str, "no_commercial_use": int, "no_ads": int,
            "no_profiling": int, "pseudonymisation": str, "internal_notes": str, **META,
        },
        pk="id",
        foreign_keys=[("vendor_id", "vendors", "id")],
        not_null={"vendor_id", "name", "category", "levels", "version"},
    )
    db["agreements"].create(
        {
            "id": str, "vendor_id": str, "model_version": str, "status": str,
            "signed_on": str, "expires_on": str, "deviations": int,
            "deviations_summary": str, "privacybijsluiter_url": str,
            "privacybijsluiter_version": str, "party": str, "internal_notes": str, **META,
        },
        pk="id",
        foreign_keys=[("vendor_id", "vendors", "id")],
        not_null={"vendor_id", "model_version", "status", "version"},
    )
    db["agreement_tools"].create(
        {"agreement_id": str, "tool_id": str},
        pk=("agreement_id", "tool_id"),
        foreign_keys=[("agreement_id", "agreements", "id"), ("tool_id", "tools", "id")],
    )
    db["assessments"].create(
        {
            "id": str, "tool_id": str, "kind": str, "assessor": str, "assessed_on": str,
            "valid_until": str, "status": str, "outcome": str, "residual_risk": str,
            "risk_counts": str, "conditions": str, "public_summary": str,
            "internal_notes": str, "source_url": str, **META,
        },
        pk="id",
        foreign_keys=[("tool_id", "tools", "id")],
        not_null={"tool_id", "kind", "assessor", "assessed_on", "status", "version"},
    )
    db["review_requests"].create(
        {
            "id": str, "tool_name": str, "url": str, "host": str, "name_key": str,
            "school": str, "reason": str, "status": str, "count": int, "tool_id": str,
            "version": int, "created_at": str, "updated_at": str,
        },
        pk="id",
        foreign_keys=[("tool_id", "tools", "id")],
    )
    for table, columns in {
        "tools": ["vendor_id", "category"],
        "agreements": ["vendor_id"],
        "agreement_tools": ["tool_id"],
        "assessments": ["tool_id"],
        "review_requests": ["host", "name_key"],
    }.items():
        for column in columns:
            db[table].create_index([column])
    # Nothing is ever deleted: "delete" archives. The database itself refuses a DELETE.
    for table in RECORD_TABLES:
        db.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} are archived, never deleted'); END"
        )


@migrations(name="0002_audit_tokens_policy_publications")
def m0002_audit(db: Database) -> None:
    db["events"].create(
        {
            "id": int, "at": str, "actor": str, "action": str, "kind": str,
            "record_id": str, "version": int, "changed": str, "before": str, "after": str,
            "source": str, "prev_hash": str, "hash": str,
        },
        pk="id",
        not_null={"at", "actor", "action", "kind", "record_id", "hash"},
    )
    db["events"].create_index(["kind", "record_id"])
    # The audit log is append-only; each event's hash covers the previous one (see db.py).
    for verb in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )
    db["tokens"].create(
        {
            "id": str, "name": str, "role": str, "token_hash": str,
            "created_at": str, "revoked_at": str,
        },
        pk="id",
        not_null={"name", "role", "token_hash", "created_at"},
    )
    db["tokens"].create_index(["token_hash"], unique=True)
    db["tokens"].create_index(["name"], unique=True)
    db["policies"].create(
        {"version": str, "effective_on": str, "document": str, "created_at": str, "actor": str},
        pk="version",
        not_null={"effective_on", "document", "created_at"},
    )
    db["publications"].create(
        {
            "version": int, "published_at": str, "policy_version": str, "counts": str,
            "sha256": str, "changes": str, "actor": str,
        },
        pk="version",
    )


@migrations(name="0003_accounts_sessions")
def m0003_accounts_sessions(db: Database) -> None:
    """Staff accounts of the back office, their sessions, failed sign-ins (for throttling,
    shared by every worker process) and the secrets every worker must agree on."""
    import secrets

    db["accounts"].create(
        {
            "id": str, "email": str, "name": str, "role": str, "password_hash": str,
            "oidc_issuer": str, "oidc_subject": str, "disabled_at": str, "created_at": str,
            "last_signin_at": str, "version": int,
        },
        pk="id",
        not_null={"email", "name", "created_at", "version"},
    )
    db["accounts"].create_index(["email"], unique=True)
    # NULLs are distinct in a UNIQUE index: accounts without an OIDC identity do not clash.
    db["accounts"].create_index(["oidc_issuer", "oidc_subject"], unique=True)
    # `id` is the SHA-256 of the session id in the cookie: a copy of the database holds no
    # session anyone could use.
    db["sessions"].create({"id": str, "data": bytes, "expires_at": float}, pk="id",
                          not_null={"data"})
    db["sessions"].create_index(["expires_at"])
    db["signin_failures"].create({"key": str, "at": float}, not_null={"key", "at"})
    db["signin_failures"].create_index(["key", "at"])
    db["secrets"].create({"name": str, "value": str}, pk="name", not_null={"value"})
    db["secrets"].insert({"name": "csrf", "value": secrets.token_hex(32)})


@migrations(name="0004_list_indexes")
def m0004_list_indexes(db: Database) -> None:
    """The back office's lists at 100,000 tools: names found by their first letters whatever
    their case, and a page of live (or of archived) records counted and read in id order.

    The indexes of live records are partial (`WHERE archived_at IS NULL`) on purpose: an
    index that starts with `archived_at`, which nearly every row shares, looks selective to
    SQLite's planner, which then took it over the index of a tool's assessments, say."""
    for table in ("vendors", "tools"):
        db.execute(f"CREATE INDEX {table}_name_nocase ON {table} (name COLLATE NOCASE)")
    for table in ("vendors", "tools", "agreements", "assessments"):
        db.execute(f"CREATE INDEX {table}_live ON {table} (id) WHERE archived_at IS NULL")
        db.execute(f"CREATE INDEX {table}_archived ON {table} (id) WHERE archived_at IS NOT NULL")
    # Filters that match thousands of rows: their page comes in id order from the index.
    for table, column in (("tools", "category"), ("agreements", "status"),
                          ("assessments", "status")):
        db.execute(f"CREATE INDEX {table}_{column}_live ON {table} ({column}, id) "
                   "WHERE archived_at IS NULL")


@migrations(name="0005_workflow")
def m0005_workflow(db: Database) -> None:
    """The publishing workflow: every asker of a review request with their own code, why a
    request was closed, prepared publications and policies awaiting a second publisher,
    who prepared, approved or restored a publication, who wants the daily digest, and the
    daily jobs that must run once whatever the number of workers."""
    import secrets

    db["review_asks"].create(
        {"id": int, "request_id": str, "code": str, "school": str, "reason": str,
         "asked_at": str},
        pk="id", foreign_keys=[("request_id", "review_requests", "id")],
        not_null={"request_id", "code", "asked_at"},
    )
    db["review_asks"].create_index(["code"], unique=True)
    db["review_asks"].create_index(["request_id"])
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    for row in db.query("SELECT id, school, reason, created_at FROM review_requests"):
        code = "".join(secrets.choice(alphabet) for _ in range(8))
        db["review_asks"].insert({"request_id": row["id"], "code": code, "school": row["school"],
                                  "reason": row["reason"], "asked_at": row["created_at"]})
    db["review_requests"].add_column("closed_reason", str)
    db["review_requests"].add_column("closed_note", str)
    db["review_requests"].add_column("last_asked_at", str)
    db.execute("UPDATE review_requests SET last_asked_at = updated_at")

    db["prepared"].create(
        {"id": str, "kind": str, "status": str, "prepared_by": str, "prepared_at": str,
         "evaluated_on": str, "policy_version": str, "base_version": int, "event_id": int,
         "sha256": str, "file": str, "document": str, "summary": str, "decided_by": str,
         "decided_at": str, "note": str},
        pk="id", not_null={"kind", "status", "prepared_by", "prepared_at"},
    )
    db["prepared"].create_index(["status"])
    for column, kind in (("prepared_by", str), ("approved_by", str), ("restores_version", int)):
        db["publications"].add_column(column, kind)
    db["accounts"].add_column("wants_digest", int)
    db["job_runs"].create(
        {"job": str, "day": str, "worker": str, "started_at": str, "finished_at": str,
         "outcome": str},
        pk=("job", "day"), not_null={"started_at"},
    )


@migrations(name="0006_boards")
def m0006_boards(db: Database) -> None:
    """School boards, their decisions on tools, and accounts and tokens scoped to one board.

    An agreement's `party` was free text; it is now `sector` or a board's number. A party that
    is neither is left as it was: such an agreement counts for no verdict (not the sector's,
    no board's) until someone names its board, which an update then asks for."""
    db["boards"].create(
        {"id": str, "name": str, "school_types": str, "schools": str, "website": str,
         "internal_notes": str, **META},
        pk="id", not_null={"name", "school_types", "version", "created_at", "updated_at"},
    )
    db["board_decisions"].create(
        {"id": str, "board_id": str, "tool_id": str, "decision": str, "not_allowed": int,
         "conditions": str, "reason": str, "decided_on": str, "decided_by": str,
         "ends_on": str, "internal_notes": str, **META},
        pk="id", foreign_keys=[("board_id", "boards", "id"), ("tool_id", "tools", "id")],
        not_null={"board_id", "tool_id", "decision", "reason", "decided_on", "decided_by",
                  "version", "created_at", "updated_at"},
    )
    db["board_decisions"].create_index(["tool_id"])
    # One live decision per board and tool.
    db.execute("CREATE UNIQUE INDEX board_decisions_one_live ON board_decisions "
               "(board_id, tool_id) WHERE archived_at IS NULL")
    db["agreements"].create_index(["party"])
    for table in ("boards", "board_decisions"):
        db.execute(f"CREATE INDEX {table}_live ON {table} (id) WHERE archived_at IS NULL")
        db.execute(f"CREATE INDEX {table}_archived ON {table} (id) WHERE archived_at IS NOT NULL")
        db.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} are archived, never deleted'); END"
        )
    for table in ("accounts", "tokens"):
        db[table].add_column("board_id", str)
    db.execute("UPDATE agreements SET party = 'sector' WHERE party IS NULL OR party = ''")


@migrations(name="0007_publication_basis")
def m0007_publication_basis(db: Database) -> None:
    """`publications.event_id`: the newest audit event when the records were read for it
    (None: built from other records, as a due publication or a rollback). The next
    publication rebuilds only what changed after it (`registry.publish.incremental`)."""
    db["publications"].add_column("event_id", int)
