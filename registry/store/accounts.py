"""`registry.accounts`: the back office's staff accounts, and their failed sign-ins.

An account has an e-mail address (unique, lower case), a name and a role (None: waiting for an
admin's approval, as a first OIDC sign-in leaves it), and a password (an argon2id hash) or an
OIDC identity (issuer and subject) or both. Accounts are disabled, never deleted. Every change
is an audit event of kind `account`, without the password hash.

Hashing and verifying a password takes about 0.7 s of CPU with argon2's defaults: callers run
them in a worker thread on a connection of their own (see `registry.backoffice.signin`), never
on the event loop. `hasher` holds the argon2 parameters; tests set cheaper ones.
"""

from __future__ import annotations

import functools
import re
import secrets
from pathlib import Path

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from registry.errors import Conflict, Invalid, NotFound, field_error
from registry.fields import Role
from registry.labels.scope import UNKNOWN_BOARD
from registry.store.audit import AuditLog
from registry.store.connection import Store
from registry.store.rows import now

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
"""Long enough for any passphrase; bounds the work a posted password can cause."""
COMMON_PASSWORDS = Path(__file__).parent.parent / "data" / "common-passwords.txt"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIELDS = ("id", "email", "name", "role", "oidc_issuer", "oidc_subject", "disabled_at",
          "created_at", "last_signin_at", "version", "wants_digest", "board_id")


class StaffAccount(msgspec.Struct, kw_only=True, frozen=True):
    """An account as stored, without its password hash (`has_password` says if there is one)."""

    id: str
    email: str
    name: str
    role: Role | None = None
    has_password: bool = False
    oidc_issuer: str | None = None
    oidc_subject: str | None = None
    disabled_at: str | None = None
    created_at: str
    last_signin_at: str | None = None
    version: int = 1
    wants_digest: bool = False
    """It gets the daily e-mail digest (while active)."""
    board_id: str | None = None
    """The school board (its DUO number) this account works for; None: the sector's."""

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    @property
    def active(self) -> bool:
        """Signed in, it may use the back office: not disabled, and approved (has a role)."""
        return self.disabled_at is None and self.role is not None


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines
                     if line.strip() and not line.startswith("#"))


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, in Dutch, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return (f"Het wachtwoord moet minstens {MIN_PASSWORD_LENGTH} tekens lang zijn "
                f"(nu {len(password)}). Een zin van een paar woorden is goed te onthouden.")
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Het wachtwoord mag hoogstens {MAX_PASSWORD_LENGTH} tekens lang zijn."
    if password.strip().casefold() in common_passwords():
        return ("Dit wachtwoord staat op de lijst van veelgebruikte wachtwoorden en is "
                "daardoor makkelijk te raden. Kies een ander.")
    return None


def email_problem(email: str) -> str | None:
    if not EMAIL.match(email) or len(email) > 254:
        return "Vul een geldig e-mailadres in, zoals naam@school.nl."
    return None


def name_problem(name: str) -> str | None:
    if not name.strip():
        return "Vul een naam in."
    if len(name) > 200:
        return "De naam mag hoogstens 200 tekens lang zijn."
    return None


def check_board(store: Store, board_id: str | None) -> None:
    """Invalid (naming `board_id`) unless `board_id` is None or a live board's number."""
    if board_id is None:
        return
    if not store.rows("SELECT 1 FROM boards WHERE id = ? AND archived_at IS NULL", [board_id]):
        message = UNKNOWN_BOARD.format(board_id=board_id)
        raise Invalid(message, [field_error("$.board_id", message)])


def _check(field: str, problem: str | None) -> None:
    if problem:
        raise Invalid(problem, [field_error(f"$.{field}", problem)])


class Accounts:
    """The staff accounts of the back office."""

    def __init__(self, store: Store, audit: AuditLog, hasher: PasswordHasher | None = None):
        self.store = store
        self.audit = audit
        self.hasher = hasher or PasswordHasher()
        """argon2id with argon2-cffi's defaults (t=3, m=64 MiB, p=4)."""

    # --- reading -------------------------------------------------------------------------------

    def get(self, account_id: str) -> StaffAccount:
        found = self._select("id = ?", [account_id])
        if not found:
            raise NotFound("account", account_id)
        return found[0]

    def find(self, account_id: str) -> StaffAccount | None:
        """The account, or None; per request (the back office's guard), so one direct read."""
        found = self._select("id = ?", [account_id])
        return found[0] if found else None

    def by_email(self, email: str) -> StaffAccount | None:
        found = self._select("email = ?", [normal_email(email)])
        return found[0] if found else None

    def list(self) -> list[StaffAccount]:
        """Every account: those waiting for approval first, then by name."""
        return self._select(None, [], order="role IS NOT NULL, name COLLATE NOCASE, email")

    def _select(self, where: str | None, params: list, order: str = "id") -> list[StaffAccount]:
        sql = (f"SELECT {', '.join(FIELDS)}, password_hash IS NOT NULL AS has_password "
               f"FROM accounts {'WHERE ' + where if where else ''} ORDER BY {order}")
        return [msgspec.convert({k: v for k, v in row.items() if v is not None} |
                                {"has_password": bool(row["has_password"]),
                                 "wants_digest": bool(row["wants_digest"])}, StaffAccount)
                for row in self.store.rows(sql, params)]

    def digest_recipients(self) -> list[StaffAccount]:
        """The active accounts (not disabled, with a role) that want the daily digest."""
        return self._select("wants_digest = 1 AND disabled_at IS NULL AND role IS NOT NULL", [],
                            order="email")

    # --- writing -------------------------------------------------------------------------------

    def create(self, email: str, name: str, role: Role | None, password: str | None,
               actor: str, board_id: str | None = None) -> StaffAccount:
        """A new account; `password` None: it signs in through OIDC only; `board_id`: scoped to
        that board (which must exist). Slow with a password (it is hashed): call it in a worker
        thread."""
        email = normal_email(email)
        _check("email", email_problem(email))
        _check("name", name_problem(name))
        if password is not None:
            _check("password", password_problem(password))
        check_board(self.store, board_id)
        password_hash = None if password is None else self.hasher.hash(password)
        return self._insert(email, name.strip(), role, password_hash, None, None, actor,
                            board_id)

    def _insert(self, email, name, role, password_hash, issuer, subject, actor,
                board_id=None) -> StaffAccount:
        row = {"id": secrets.token_hex(8), "email": email, "name": name,
               "role": None if role is None else Role(role).value,
               "password_hash": password_hash, "oidc_issuer": issuer, "oidc_subject": subject,
               "disabled_at": None, "created_at": now(), "last_signin_at": None, "version": 1,
               "board_id": board_id}
        with self.store.write() as db:
            if db["accounts"].count_where("email = ?", [email]):
                raise Conflict(f"Er is al een account met het e-mailadres {email}.",
                               [field_error("$.email", "Dit e-mailadres heeft al een account.")])
            db["accounts"].insert(row)
            account = self.get(row["id"])
            self._event("create", account, None, actor)
        return account

    def for_oidc(self, issuer: str, subject: str, email: str, name: str) -> StaffAccount:
        """The account of this OIDC identity; a first sign-in creates one without a role,
        which an admin approves. Never linked to an existing account by e-mail: in a
        federation (SURFconext, Entree) any institution's IdP asserts its own users' e-mail,
        so the claim "beheerder@sector.nl" proves nothing about the account of that name."""
        with self.store.write():
            found = self._select("oidc_issuer = ? AND oidc_subject = ?", [issuer, subject])
            if found:
                return found[0]
            email = normal_email(email)
            if self.by_email(email) is not None:
                raise Conflict(f"Er is al een account met het e-mailadres {email}. Vraag een "
                               "beheerder om je account te koppelen.")
            _check("email", email_problem(email))
            return self._insert(email, (name or email).strip()[:200], None, None, issuer,
                                subject, f"oidc:{issuer}")

    def set_role(self, account_id: str, role: Role | None, actor: str) -> StaffAccount:
        return self._change(self.get(account_id), actor,
                            role=None if role is None else Role(role).value)

    def set_board(self, account_id: str, board_id: str | None, actor: str) -> StaffAccount:
        """Scope the account to one board (which must exist), or to the sector (None);
        audited when it changes."""
        account = self.get(account_id)
        board_id = board_id or None
        check_board(self.store, board_id)
        if account.board_id == board_id:
            return account
        return self._change(account, actor, board_id=board_id)

    def set_digest(self, account_id: str, wanted: bool, actor: str) -> StaffAccount:
        """Turn the daily digest on or off for the account; audited when it changes."""
        account = self.get(account_id)
        if account.wants_digest == wanted:
            return account
        return self._change(account, actor, wants_digest=int(wanted))

    def disable(self, account_id: str, actor: str) -> StaffAccount:
        account = self.get(account_id)
        if account.disabled_at is not None:
            return account
        return self._change(account, actor, disabled_at=now())

    def enable(self, account_id: str, actor: str) -> StaffAccount:
        return self._change(self.get(account_id), actor, disabled_at=None)

    def set_password(self, account_id: str, password: str, actor: str) -> StaffAccount:
        """Slow (it hashes): call it in a worker thread."""
        _check("password", password_problem(password))
        return self._change(self.get(account_id), actor, password_hash=self.hasher.hash(password))

    def signed_in(self, account_id: str) -> None:
        """Note the time of a sign-in (not an event: nothing of the account changed)."""
        with self.store.write():
            self.store.conn.execute("UPDATE accounts SET last_signin_at = ? WHERE id = ?",
                                    [now(), account_id])

    def _change(self, before: StaffAccount, actor: str, **values) -> StaffAccount:
        with self.store.write():
            assignments = ", ".join(f"[{k}] = ?" for k in values)
            self.store.conn.execute(
                f"UPDATE accounts SET {assignments}, version = version + 1 WHERE id = ?",
                [*values.values(), before.id])
            after = self.get(before.id)
            self._event("update", after, before, actor)
        return after

    def _event(self, action: str, account: StaffAccount, before: StaffAccount | None,
               actor: str) -> None:
        def doc(a: StaffAccount) -> dict:
            # A new account's event leaves `wants_digest` out while it is off, as it read
            # before the digest existed; a change shows it before and after.
            return {k: v for k, v in msgspec.to_builtins(a).items()
                    if k != "last_signin_at" and (k != "wants_digest" or v or before)}

        self.audit.append(action, "account", account.id, account.version,
                          None if before is None else doc(before), doc(account), actor, None)

    # --- signing in ----------------------------------------------------------------------------

    def verify_password(self, email: str, password: str) -> StaffAccount | None:
        """The account whose password this is, or None. An unknown address, an account without
        a password and a wrong password cost the same work (a dummy hash is verified), so the
        time of the answer does not tell which addresses have an account. Disabled accounts
        are returned too: the caller decides what to say to someone who knows the password.
        Slow: call it in a worker thread."""
        rows = self.store.rows("SELECT id, password_hash FROM accounts WHERE email = ?",
                               [normal_email(email)])
        stored = rows[0]["password_hash"] if rows else None
        if len(password) > MAX_PASSWORD_LENGTH:  # never a valid one: the same work, no hashing
            stored, password = None, password[:MAX_PASSWORD_LENGTH]  # of megabytes
        try:
            self.hasher.verify(stored or self._dummy_hash(), password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if stored is None:
            return None
        return self.get(rows[0]["id"])

    def _dummy_hash(self) -> str:
        return _dummy_hash(self.hasher.time_cost, self.hasher.memory_cost,
                           self.hasher.parallelism)

    # --- throttling ------------------------------------------------------------------------------

    def failures(self, key: str, since: float) -> list[float]:
        """When sign-ins failed for `key` (an account's or an address's) after `since`."""
        return [r["at"] for r in self.store.rows(
            "SELECT at FROM signin_failures WHERE key = ? AND at > ? ORDER BY at", [key, since])]

    def record_failure(self, keys: list[str], at: float, forget_before: float) -> None:
        """Count a failed sign-in for each key; forget failures older than `forget_before`."""
        with self.store.write():
            self.store.conn.execute("DELETE FROM signin_failures WHERE at < ?", [forget_before])
            self.store.insert_many("signin_failures", [{"key": k, "at": at} for k in keys])

    def clear_failures(self, key: str) -> None:
        with self.store.write():
            self.store.conn.execute("DELETE FROM signin_failures WHERE key = ?", [key])


@functools.cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher.hash(secrets.token_urlsafe(16))


def normal_email(email: str) -> str:
    return email.strip().lower()
