"""Signed publications: the key pair, the manifest the publisher writes beside every file it
puts in place (publish and rollback), what `verify_manifest` refuses, and the read wing's
/publicatie/ (ETag, 304, no cookies, never the private key)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry import signing
from registry.cli import main
from registry.db import Registry
from registry.publish import publications, publish
from registry.publish.rollback import restore
from registry.signing import Refused, verify_manifest

TODAY = dt.date(2026, 11, 28)


def copy_registry(db: Path, folder: Path) -> Path:
    """A copy of the registry database at `db` (with what its WAL holds) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(db)) as source, closing(sqlite3.connect(folder / db.name)) as to:
        source.backup(to)
    return folder / db.name


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return signing.create_keys(tmp_path / "keys")


@pytest.fixture(scope="module")
def signed(demo_published, tmp_path_factory) -> Path:
    """The published demo file in a folder with its signing key beside it, its manifest and
    public key written as the publisher writes them: the folder."""
    db, file = demo_published
    folder = tmp_path_factory.mktemp("signed")
    signing.create_keys(folder)
    shutil.copyfile(file, folder / file.name)
    registry = Registry.open_read_only(db)
    try:
        publication = publications(registry)[0]
    finally:
        registry.close()
    signing.write_manifest(folder / file.name, publication, folder / signing.KEY_NAME)
    return folder


def test_a_key_pair_is_a_secret_pem_and_a_one_line_public_key(keys):
    private, public = keys
    assert (private.name, public.name) == ("signing-key.pem", "signing-key.pub")
    assert private.stat().st_mode & 0o777 == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    lines = public.read_text().splitlines()
    assert len(lines) == 1 and len(base64.b64decode(lines[0])) == 32
    key = signing.load_private_key(private)
    assert signing.public_text(key.public_key()) == lines[0]
    raw = base64.b64decode(lines[0])
    assert signing.key_id(signing.load_public_key(public)) == hashlib.sha256(raw).hexdigest()[:16]


def test_an_existing_key_is_never_overwritten(keys):
    private, _ = keys
    before = private.read_bytes()
    with pytest.raises(signing.KeyProblem, match="exists already"):
        signing.create_keys(private.parent)
    assert private.read_bytes() == before


def test_the_manifest_describes_the_file_and_its_publication(signed):
    file = signed / "witte-lijst.db"
    data = (signed / "witte-lijst.manifest.json").read_bytes()
    manifest = verify_manifest(data, signing.load_public_key(signed / "signing-key.pub"))
    with closing(sqlite3.connect(file)) as conn:
        version, content, policy = conn.execute(
            "SELECT version, sha256, policy_version FROM publication").fetchone()
    assert (manifest.version, manifest.content_sha256, manifest.policy_version) == (
        version, content, policy)
    assert (manifest.size, manifest.sha256) == (
        file.stat().st_size, hashlib.sha256(file.read_bytes()).hexdigest())
    assert manifest.file == "witte-lijst.db" and manifest.format == 1
    assert sorted(json.loads(data)) == sorted(msgspec.structs.asdict(manifest))
    assert (signed / "witte-lijst.pub").read_text() == (signed / "signing-key.pub").read_text()


def resign(data: bytes, key: Ed25519PrivateKey, **changes) -> bytes:
    """The manifest in `data` with `changes`, signed again with `key`."""
    manifest = msgspec.structs.replace(msgspec.json.decode(data, type=signing.Manifest),
                                       **changes)
    signature = base64.b64encode(key.sign(manifest.signed_part())).decode()
    return msgspec.structs.replace(manifest, signature=signature).encode()


def as_json(data: bytes, **changes) -> bytes:
    return json.dumps(json.loads(data) | changes).encode()


OTHER = Ed25519PrivateKey.generate()


@pytest.mark.parametrize(("tamper", "reason"), [
    (lambda d: as_json(d, signature=None, key_id=None), "the manifest is not signed"),
    (lambda d: resign(d, OTHER, key_id=signing.key_id(OTHER.public_key())),
     "the manifest is signed by another key"),
    (lambda d: resign(d, OTHER), "the signature does not match the manifest"),
    (lambda d: as_json(d, version=json.loads(d)["version"] + 1),
     "the signature does not match the manifest"),
    (lambda d: as_json(d, sha256="0" * 64), "the signature does not match the manifest"),
    (lambda d: as_json(d, signature="not base64!"), "the signature does not match"),
    (lambda d: as_json(d, extra=1), "the manifest is malformed: Object contains unknown field"),
    (lambda d: as_json(d, format=2), "the manifest is in format 2, not 1"),
    (lambda d: as_json(d, file="../registry.db"), "the manifest is malformed"),
    (lambda d: d[:40], "the manifest is malformed"),
], ids=["unsigned", "other key", "other signature", "version changed", "sha256 changed",
        "signature not base64", "unknown field", "other format", "file elsewhere", "cut"])
def test_verify_refuses_what_the_key_did_not_sign(signed, tamper, reason):
    data = (signed / "witte-lijst.manifest.json").read_bytes()
    public_key = signing.load_public_key(signed / "signing-key.pub")
    assert verify_manifest(data, public_key).signature
    with pytest.raises(Refused) as refused:
        verify_manifest(tamper(data), public_key)
    assert refused.value.reason.startswith(reason)


def test_registry_publish_signs_with_the_key_beside_the_database(demo_published, tmp_path):
    db = copy_registry(demo_published[0], tmp_path / "writer")
    runner = CliRunner()
    created = runner.invoke(main, ["keys", "create", "--db", str(db)])
    assert created.exit_code == 0, created.output
    assert f"Created {db.parent / 'signing-key.pem'} (secret, mode 0600)" in created.output
    again = runner.invoke(main, ["keys", "create", "--db", str(db)])
    assert again.exit_code == 1 and "exists already" in again.output
    done = runner.invoke(main, ["publish", "--db", str(db)])
    assert done.exit_code == 0, done.output
    manifest = verify_manifest((db.parent / "witte-lijst.manifest.json").read_bytes(),
                               signing.load_public_key(db.parent / "signing-key.pub"))
    assert manifest.version == 2  # the demo's first publication was recorded in the copy
    assert manifest.sha256 == hashlib.sha256((db.parent / "witte-lijst.db").read_bytes()
                                             ).hexdigest()
    assert not list(db.parent.glob(".*.tmp"))  # written atomically, nothing left behind


@pytest.mark.parametrize(("field", "value", "says"), [
    ("sha256", "0" * 64, "the size or sha256 of"),
    ("version", 1, "describes version 1, but version 2 is served"),
    ("policy_version", "1999.1", "the signature does not match the manifest"),
])
def test_verify_finds_a_manifest_that_does_not_describe_the_served_file(
        demo_published, tmp_path, field, value, says):
    db = copy_registry(demo_published[0], tmp_path / "writer")
    runner = CliRunner()
    assert runner.invoke(main, ["keys", "create", "--db", str(db)]).exit_code == 0
    assert runner.invoke(main, ["publish", "--db", str(db)]).exit_code == 0
    sound = runner.invoke(main, ["verify", "--db", str(db)])
    assert sound.exit_code == 0, sound.output
    path = db.parent / "witte-lijst.manifest.json"
    path.write_bytes(msgspec.json.encode(json.loads(path.read_bytes()) | {field: value}))
    found = runner.invoke(main, ["verify", "--db", str(db)])
    assert found.exit_code == 1 and f"manifest {path}: " in found.output
    assert says in found.output.replace("\n", " "), found.output


def test_without_a_key_the_manifest_is_unsigned_and_no_public_key_is_published(
        demo_published, tmp_path, keys, monkeypatch):
    registry = Registry(copy_registry(demo_published[0], tmp_path / "writer"))
    out = tmp_path / "writer" / "witte-lijst.db"
    monkeypatch.setenv(signing.ENV_SIGNING_KEY, str(keys[0]))
    publish(registry, out, TODAY, "sector")
    assert (tmp_path / "writer" / "witte-lijst.pub").exists()
    monkeypatch.delenv(signing.ENV_SIGNING_KEY)
    done = publish(registry, out, TODAY, "sector")
    manifest = json.loads((tmp_path / "writer" / "witte-lijst.manifest.json").read_bytes())
    assert (manifest["version"], manifest["signature"], manifest["key_id"]) == (
        done.version, None, None)
    assert not (tmp_path / "writer" / "witte-lijst.pub").exists()  # it signed nothing served
    registry.close()


def test_a_signing_key_that_cannot_be_used_publishes_nothing(demo_published, tmp_path,
                                                             monkeypatch):
    registry = Registry(copy_registry(demo_published[0], tmp_path / "writer"))
    out = tmp_path / "writer" / "witte-lijst.db"
    monkeypatch.setenv(signing.ENV_SIGNING_KEY, str(tmp_path / "missing.pem"))
    with pytest.raises(signing.KeyProblem, match="No signing key at .*missing.pem"):
        publish(registry, out, TODAY, "sector")
    assert not out.exists() and len(publications(registry)) == 1
    registry.close()


def test_a_rollback_writes_the_manifest_of_the_version_it_serves(demo_published, tmp_path,
                                                                 keys, monkeypatch):
    monkeypatch.setenv(signing.ENV_SIGNING_KEY, str(keys[0]))
    registry = Registry(copy_registry(demo_published[0], tmp_path / "writer"))
    out = tmp_path / "writer" / "witte-lijst.db"
    second = publish(registry, out, TODAY, "sector")
    publish(registry, out, TODAY, "sector")
    restored = restore(registry, out, second.version, "sector")
    manifest = verify_manifest((out.parent / "witte-lijst.manifest.json").read_bytes(),
                               signing.load_public_key(keys[1]))
    assert (manifest.version, manifest.content_sha256) == (restored.version, second.sha256)
    assert manifest.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    registry.close()


# --- /publicatie/ on the read wing ----------------------------------------------------------


@pytest.mark.parametrize(("path", "name", "media_type"), [
    ("/publicatie/manifest.json", "witte-lijst.manifest.json", "application/json"),
    ("/publicatie/witte-lijst.db", "witte-lijst.db", "application/vnd.sqlite3"),
    ("/publicatie/witte-lijst.pub", "witte-lijst.pub", "text/plain; charset=utf-8"),
])
def test_the_publication_is_served_with_a_strong_etag(replica_on, signed, path, name,
                                                      media_type):
    client = replica_on(TODAY, signed / "witte-lijst.db")
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.content == (signed / name).read_bytes()
    assert answer.headers["content-type"] == media_type
    assert answer.headers["cache-control"] == "no-cache"
    assert "set-cookie" not in answer.headers
    etag = answer.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    if name == "witte-lijst.db":
        manifest = json.loads((signed / "witte-lijst.manifest.json").read_bytes())
        assert etag == f'"{manifest["sha256"]}"'
    again = client.get(path, headers={"If-None-Match": f'"other", {etag}'})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_the_file_has_no_etag_while_the_manifest_is_of_another_version(replica_on, signed,
                                                                       tmp_path):
    """The moment between a new file and its manifest: the old manifest's sha256 would name
    bytes that are no longer served."""
    for name in ("witte-lijst.db", "witte-lijst.manifest.json"):
        shutil.copyfile(signed / name, tmp_path / name)
    with closing(sqlite3.connect(tmp_path / "witte-lijst.db")) as conn, conn:
        conn.execute("UPDATE publication SET version = version + 1")
    answer = replica_on(TODAY, tmp_path / "witte-lijst.db").get("/publicatie/witte-lijst.db")
    assert answer.status_code == 200 and "etag" not in answer.headers
    assert answer.content == (tmp_path / "witte-lijst.db").read_bytes()


def test_no_manifest_yet_is_a_dutch_404(replica_on, demo_published, tmp_path):
    shutil.copyfile(demo_published[1], tmp_path / "witte-lijst.db")
    client = replica_on(TODAY, tmp_path / "witte-lijst.db")
    for path in ("/publicatie/manifest.json", "/publicatie/witte-lijst.pub"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"].startswith("Er is nog geen witte lijst gepubliceerd")


def test_the_private_key_is_never_served(replica_on, signed):
    """The key lies beside the served file (its default place, beside the database)."""
    client = replica_on(TODAY, signed / "witte-lijst.db")
    secret = (signed / "signing-key.pem").read_bytes()
    for path in ["/publicatie/signing-key.pem", "/publicatie/signing-key.pub",
                 "/publicatie/../signing-key.pem", "/publicatie/publicaties",
                 "/lijst/signing-key.pem", "/lijst/signing-key", "/lijst/signing-key.json",
                 "/static/../signing-key.pem"]:
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert b"PRIVATE KEY" not in answer.content
    for path in ["/publicatie/manifest.json", "/publicatie/witte-lijst.db",
                 "/publicatie/witte-lijst.pub"]:
        body = client.get(path).content
        assert secret not in body and b"PRIVATE KEY" not in body
