"""`registry keys create` (the sector's signing key) and `registry replica` (a copy of the
published whitelist that follows the publisher)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import click

from registry.cli_shared import console, db_option, err


@click.group("keys")
def keys() -> None:
    """The signing key of publications (Ed25519).

    Every publication is signed with it, so a replica or anyone who mirrors the whitelist
    can check that a file is the one the sector published.
    """


@keys.command("create")
@db_option
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The folder for signing-key.pem and signing-key.pub.  [default: the folder "
              "of the database, where publishing finds the key]")
def create(db_path: Path, out: Path | None) -> None:
    """Create a new key pair: signing-key.pem (private, mode 0600) and signing-key.pub.

    Keep signing-key.pem secret and outside any folder that is served; never overwritten.
    Publishing signs with $REGISTRY_SIGNING_KEY, or else with signing-key.pem beside the
    database. Give signing-key.pub to every replica (`registry replica --public-key`).
    """
    from registry import signing

    folder = out or Path(db_path).parent
    private, public = signing.create_keys(folder)
    key_id = signing.key_id(signing.load_public_key(public))
    console.print(f"Created {private} (secret, mode 0600) and {public} (key id {key_id}).",
                  markup=False, highlight=False)
    beside_db = folder.resolve() == Path(db_path).parent.resolve()
    console.print(
        "Publications are signed with it from the next one on." if beside_db else
        f"Publish with {signing.ENV_SIGNING_KEY}={private} to sign with it.",
        markup=False, highlight=False)
    console.print(f"Give {public} to every replica: registry replica --public-key {public}",
                  markup=False, highlight=False)


@click.command("replica")
@click.option("--from", "source", required=True, metavar="URL|FOLDER",
              help="The publisher: the base URL of a `registry serve` (its /publicatie/; a "
              "read-only replica's will do), or a folder with witte-lijst.manifest.json beside "
              "the file.")
@click.option("--whitelist", "whitelist", required=True, envvar="REGISTRY_WHITELIST",
              type=click.Path(dir_okay=False, path_type=Path),
              help="The file this replica keeps up to date (what `registry serve --read-only "
              "--whitelist` serves); its manifest and public key are written beside it.  "
              "[env: REGISTRY_WHITELIST]")
@click.option("--public-key", "public_key", required=True, envvar="REGISTRY_PUBLIC_KEY",
              type=click.Path(dir_okay=False, path_type=Path),
              help="The publisher's signing-key.pub: only what it signed is installed.  "
              "[env: REGISTRY_PUBLIC_KEY]")
@click.option("--interval", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              metavar="SECONDS",
              help="Seconds between two polls (a poll of an unchanged manifest is a 304).")
@click.option("--once", is_flag=True,
              help="Poll once and exit: 0 when FILE holds the newest publication, 1 when it "
              "was refused or the source could not be read.")
def replica(source: str, whitelist: Path, public_key: Path, interval: float,
            once: bool) -> None:
    """Follow the publisher: install each new signed publication into the whitelist file.

    Each poll fetches the manifest; when it names a newer publication signed with the
    public key, the file is downloaded beside the whitelist, its size and sha256 are
    checked, and it replaces the whitelist atomically (a server on it switches at its next
    request). A manifest that is unsigned, signed by another key, malformed or older, and a
    download that is truncated or changed, are refused with one line on stderr; the
    whitelist stays as it was. Stops on SIGTERM or Ctrl-C (exit 0).
    """
    from registry import replica as following
    from registry.signing import key_id, load_public_key

    key = load_public_key(public_key)

    def say(line: str) -> None:
        err.print(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {line}",
                  markup=False, highlight=False)

    stop = threading.Event()
    follower = following.Replica(following.source_of(source), whitelist, key, say, stop)
    if once:
        outcome = follower.poll()
        if outcome in (following.Outcome.REFUSED, following.Outcome.FAILED):
            raise SystemExit(1)
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    say(f"following {follower.source} into {whitelist} every {interval:g} s "
        f"(key id {key_id(key)})")
    follower.follow(interval)
    say("stopped")
