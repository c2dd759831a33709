"""Signed publications: the sector's Ed25519 key, and the manifest that travels with each
published file, so that anyone who mirrors the whitelist can check what they got.

    witte-lijst.db              the published file
    witte-lijst.manifest.json   version, moment, policy, size and sha256 of the file, signed
    witte-lijst.pub             the publisher's public key (raw Ed25519, base64, one line)

The private key (`signing-key.pem`, made by `registry keys create`) is kept outside the
database: beside it by default, or wherever $REGISTRY_SIGNING_KEY says. Without a key the
manifest is still written, unsigned, and every replica refuses it. A replica trusts the public
key it was given (`--public-key`), never the `.pub` it downloads: that one is for people.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from registry.errors import RegistryError
from registry.published import manifest_path, public_key_path

ENV_SIGNING_KEY = "REGISTRY_SIGNING_KEY"
KEY_NAME = "signing-key.pem"
PUBLIC_NAME = "signing-key.pub"
FORMAT = 1
CHUNK = 1024 * 1024

Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]


class Manifest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What a publication's file is, signed by the publisher (`signature` covers the
    canonical JSON of every other field: keys sorted, no spaces)."""

    format: int
    version: Annotated[int, msgspec.Meta(ge=1)]
    published_at: str
    policy_version: str
    file: Annotated[str, msgspec.Meta(pattern=r"^[^./\\][^/\\]*$")]
    size: Annotated[int, msgspec.Meta(ge=0)]
    sha256: Sha256
    """Of the file's bytes: what a downloader checks."""
    content_sha256: Sha256
    """Of the file's content, as the registry recorded the publication."""
    key_id: str | None = None
    signature: str | None = None

    def signed_part(self) -> bytes:
        fields = msgspec.structs.asdict(self)
        del fields["signature"]
        return msgspec.json.encode(fields, order="sorted")

    def encode(self) -> bytes:
        return msgspec.json.format(msgspec.json.encode(self, order="sorted"), indent=2) + b"\n"


class Refused(Exception):
    """A manifest or a file that is not to be served: `reason` says why, in one line."""

    def __init__(self, reason: str, version: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.version = version


class KeyProblem(RegistryError):
    """A signing key that cannot be created or used; nothing was published."""


# --- keys -------------------------------------------------------------------------------------


def create_keys(folder: Path) -> tuple[Path, Path]:
    """Write a new key pair into `folder`: `signing-key.pem` (PKCS8, mode 0600) and
    `signing-key.pub`; never over an existing key, which every replica trusts."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    private, public = folder / KEY_NAME, folder / PUBLIC_NAME
    for path in (private, public):
        if path.exists():
            raise KeyProblem(f"{path} exists already: every replica trusts that key. Remove it "
                             "yourself first if you really mean to replace it.")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    public.write_text(public_text(key.public_key()) + "\n", encoding="ascii")
    return private, public


def public_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def key_id(key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the sha256 of the raw public key: which key signed."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except FileNotFoundError:
        raise KeyProblem(f"No signing key at {path} (${ENV_SIGNING_KEY}); create one with "
                         "`registry keys create`.") from None
    except (ValueError, TypeError) as exc:
        raise KeyProblem(f"{path} is not a usable signing key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem(f"{path} is not an Ed25519 key; create one with `registry keys create`.")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The public key in `path` as `registry keys create` writes it (base64, one line)."""
    try:
        text = Path(path).read_text(encoding="ascii").strip()
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except FileNotFoundError:
        raise KeyProblem(f"No public key at {path}.") from None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise KeyProblem(f"{path} is not an Ed25519 public key as `registry keys create` "
                         "writes it (signing-key.pub: one line of base64).") from None


def publisher_key(db_path: Path) -> Ed25519PrivateKey | None:
    """The key a publication is signed with: $REGISTRY_SIGNING_KEY (which must be usable),
    else `signing-key.pem` beside the registry database if there is one, else None."""
    if env := os.environ.get(ENV_SIGNING_KEY):
        return load_private_key(Path(env))
    beside = Path(db_path).parent / KEY_NAME
    return load_private_key(beside) if beside.exists() else None


# --- manifests --------------------------------------------------------------------------------


def file_sha256(path: Path) -> tuple[int, str]:
    """(size, sha256 hex) of the file's bytes, read once in chunks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def manifest_of(publication, file: str, hashed: tuple[int, str],
                key: Ed25519PrivateKey | None) -> Manifest:
    """The manifest of `publication` (a `registry.publish.record.Publication`) served as
    `file` of (size, sha256) `hashed`, signed with `key` if given."""
    size, sha256 = hashed
    manifest = Manifest(
        format=FORMAT, version=publication.version,
        published_at=msgspec.to_builtins(publication.published_at),
        policy_version=publication.policy_version, file=file, size=size, sha256=sha256,
        content_sha256=publication.sha256,
        key_id=None if key is None else key_id(key.public_key()))
    if key is None:
        return manifest
    signature = base64.b64encode(key.sign(manifest.signed_part())).decode("ascii")
    return msgspec.structs.replace(manifest, signature=signature)


def write_manifest(out_path: Path, publication, key: Path | Ed25519PrivateKey | None,
                   hashed: tuple[int, str] | None = None) -> Manifest:
    """Write the manifest of the file at `out_path` (hashed now unless `hashed` is given)
    beside it, and the public key of `key`; each atomically. Unsigned without a key (an old
    public key beside it is removed: it signed nothing that is served now)."""
    out_path = Path(out_path)
    if isinstance(key, (str, Path)):
        key = load_private_key(Path(key))
    manifest = manifest_of(publication, out_path.name, hashed or file_sha256(out_path), key)
    if key is None:
        public_key_path(out_path).unlink(missing_ok=True)
    else:
        replace_file(public_key_path(out_path), public_text(key.public_key()).encode() + b"\n")
    replace_file(manifest_path(out_path), manifest.encode())
    return manifest


def verify_manifest(data: bytes, public_key: Ed25519PublicKey) -> Manifest:
    """The manifest in `data` if `public_key` signed it; `Refused` says why not."""
    try:
        manifest = msgspec.json.decode(data, type=Manifest)
    except msgspec.DecodeError as exc:
        raise Refused(f"the manifest is malformed: {exc}") from None
    version = manifest.version
    if manifest.format != FORMAT:
        raise Refused(f"the manifest is in format {manifest.format}, not {FORMAT}", version)
    if manifest.signature is None:
        raise Refused("the manifest is not signed", version)
    expected = key_id(public_key)
    if manifest.key_id != expected:
        raise Refused(f"the manifest is signed by another key ({manifest.key_id}, not "
                      f"{expected})", version)
    try:
        public_key.verify(base64.b64decode(manifest.signature, validate=True),
                          manifest.signed_part())
    except (InvalidSignature, binascii.Error, ValueError):
        raise Refused("the signature does not match the manifest", version) from None
    return manifest


def manifest_problems(path: Path, version: int, key: Ed25519PrivateKey | None) -> list[str]:
    """One line per way the manifest beside the served file at `path` (of `version`) does not
    describe it, or is not signed by `key` when there is one; [] without a manifest (a file
    published before manifests)."""
    where = manifest_path(path)
    try:
        data = where.read_bytes()
        manifest = msgspec.json.decode(data, type=Manifest)
    except FileNotFoundError:
        return []
    except msgspec.DecodeError as exc:
        return [f"manifest {where}: malformed ({exc})"]
    problems = []
    if manifest.version != version:
        problems.append(f"manifest {where}: describes version {manifest.version}, but version "
                        f"{version} is served (publish again, or let the next start record it)")
    elif (manifest.size, manifest.sha256) != file_sha256(path):
        problems.append(f"manifest {where}: the size or sha256 of {path} is not what it says "
                        "(the file or the manifest was changed after publishing)")
    if key is not None:
        try:
            verify_manifest(data, key.public_key())
        except Refused as exc:
            problems.append(f"manifest {where}: {exc.reason} (the publisher's key would sign "
                            "it; publish again)")
    return problems


def replace_file(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Put `data` at `path` atomically: a temporary file beside it, flushed, renamed over."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "wb") as f:
            for chunk in [data] if isinstance(data, bytes) else data:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); Windows cannot open a folder and needs none."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
