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
