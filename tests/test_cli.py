"""The `registry` command line: tokens, errors as one line, and the README that documents it."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from registry.cli import main
from registry.db import Registry

ROOT = Path(__file__).parent.parent


def run(*args: str, db: Path):
    return CliRunner().invoke(main, [*args, "--db", str(db)], catch_exceptions=False)


def test_token_create_list_revoke(tmp_path):
    db = tmp_path / "r.db"
    created = run("token", "create", "--name", "inkoop-sivon", "--role", "procurement", db=db)
    assert created.exit_code == 0
    secret = created.output.strip().splitlines()[-1]
    assert re.fullmatch(r"wlr_[A-Za-z0-9_-]{43}", secret)
    assert "Store it now; it is not shown again" in created.output

    listed = run("token", "list", db=db)
    assert "inkoop-sivon" in listed.output and "procurement" in listed.output
    assert secret not in listed.output

    registry = Registry(db)
    assert registry.tokens.for_secret(secret) == ("inkoop-sivon", "procurement", False)
    registry.close()

    revoked = run("token", "revoke", "inkoop-sivon", db=db)
    assert revoked.output.strip() == "Revoked token 'inkoop-sivon'."
    registry = Registry(db)
    assert registry.tokens.for_secret(secret)[2] is True
    registry.close()


def test_errors_are_one_line_and_exit_1(tmp_path):
    db = tmp_path / "r.db"
    run("token", "create", "--name", "a", "--role", "publisher", db=db)
    again = CliRunner().invoke(main, ["token", "create", "--name", "a", "--role", "publisher",
                                      "--db", str(db)])
    assert again.exit_code == 1
    assert again.output.strip() == "Error: A token named 'a' exists already; choose another name."
    missing = CliRunner().invoke(main, ["token", "revoke", "nobody", "--db", str(db)])
    assert missing.exit_code == 1
    assert missing.output.strip() == "Error: No active token with id 'nobody'."


def test_bad_role_is_refused_by_click(tmp_path):
    result = CliRunner().invoke(main, ["token", "create", "--name", "x", "--role", "admin",
                                       "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 2
    assert "'admin' is not one of 'procurement', 'publisher'" in result.output


def commands(group: click.Group, prefix: str = "registry") -> list[str]:
    out = []
    for name, command in group.commands.items():
        out.append(f"{prefix} {name}")
        if isinstance(command, click.Group):
            out.extend(commands(command, f"{prefix} {name}"))
    return out


def test_every_command_is_in_the_readme_and_has_help():
    readme = (ROOT / "README.md").read_text()
    for command in commands(main):
        assert command in readme, f"README.md does not mention `{command}`"
    for command in commands(main):
        args = command.split()[1:] + ["--help"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0 and "Usage:" in result.output


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    test_command = re.search(r"<!-- test-command -->\n```sh\n(.+?)\n```", readme, re.S)[1]
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_serve_cache_size_reaches_the_workers(monkeypatch):
    from registry.app import DEFAULT_CACHE_MB, ENV_CACHE_MB, Settings, create_app

    option = next(p for p in main.commands["serve"].params if p.name == "cache_mb")
    assert option.default == DEFAULT_CACHE_MB
    monkeypatch.setenv(ENV_CACHE_MB, "8")  # what `registry serve --cache-mb 8` sets
    settings = Settings.from_env()
    assert settings.cache_mb == 8
    app = create_app(settings)
    assert app.state.whitelist.cache_bytes == 3 * 1024 * 1024  # three eighths
    assert app.state.datasette.cache_bytes == 5 * 1024 * 1024


@pytest.fixture
def places(tmp_path) -> dict[str, Path]:
    """A file where a folder should be, a file that is not SQLite, a place no one can write
    (root may write anywhere on disk, but not in /proc), and a sound database."""
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "not-sqlite.db").write_bytes(b"dit is geen database\n" * 300)
    registry = Registry(tmp_path / "r.db")
    registry.migrate()
    registry.close()
    return {"under_a_file": tmp_path / "a-file" / "x.db", "not_sqlite": tmp_path / "not-sqlite.db",
            "read_only": Path("/proc/self/registry.db"), "sound": tmp_path / "r.db",
            "folder": tmp_path}


DEMO = str(ROOT / "data" / "demo.json")
BAD_PATHS = [
    (["token", "list"], "under_a_file", "Cannot create the folder"),
    (["token", "list"], "not_sqlite", "cannot be used as the registry database: file is not a"),
    (["token", "list"], "read_only", "cannot be used as the registry database: unable to open"),
    (["import", DEMO], "under_a_file", "Cannot create the folder"),
    (["import", DEMO], "not_sqlite", "cannot be used as the registry database"),
    (["export", "-"], "not_sqlite", "cannot be used as the registry database"),
    (["publish"], "not_sqlite", "cannot be used as the registry database"),
    (["backup", "{folder}/b.db"], "not_sqlite", "cannot be backed up: file is not a database"),
    (["serve"], "under_a_file", "Cannot create the folder"),
    (["serve"], "not_sqlite", "cannot be used as the registry database"),
    (["export", "{folder}/a-file/out.json"], "sound", "Cannot create the folder"),
    (["export", "{folder}"], "sound", "it is a folder; give a file name"),
    (["export", "--format", "csv", "{folder}/a-file/csv"], "sound", "part of its path is a file"),
    (["export", "/proc/self/out.json"], "sound", "Cannot use /proc/self/out.json"),
    (["publish", "--out", "{folder}/a-file/w.db"], "sound", "Cannot create the folder"),
    (["backup", "{folder}/a-file/b.db"], "sound", "Cannot create the folder"),
    (["backup", "/proc/b.db"], "sound", "Cannot write the backup in /proc"),
]


@pytest.mark.parametrize(("args", "db", "says"), BAD_PATHS)
def test_a_bad_database_or_output_path_is_one_line_and_exit_1(places, args, db, says):
    args = [a.format(folder=places["folder"]) for a in args]
    result = CliRunner().invoke(main, [*args, "--db", str(places[db])], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("Error: "), result.output
    assert says in result.output
