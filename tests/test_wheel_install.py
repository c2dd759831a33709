"""The wheel carries every file the package reads beside its code: the Datasette plugin's
templates (its Dutch pages, the downloads page), static files and metadata, the pages'
templates, the demo data. tests/test_packaging.py installs the wheel and serves from it;
this checks, file by file, that nothing the checkout has is left out of the wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items()
       if not k.startswith("REGISTRY_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
CODE = (".py", ".pyc")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """The wheel `pip wheel .` builds from a copy of the package files."""
    folder = tmp_path_factory.mktemp("wheel-files")
    source = folder / "source"
    shutil.copytree(ROOT / "registry", source / "registry",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                    "--disable-pip-version-check", "--wheel-dir", folder / "dist", source],
                   check=True, capture_output=True, cwd=folder, env=ENV, timeout=600)
    [built] = (folder / "dist").glob("*.whl")
    with zipfile.ZipFile(built) as archive:
        yield archive


def test_every_file_the_package_reads_is_in_the_wheel(wheel):
    shipped = set(wheel.namelist())
    files = {path.relative_to(ROOT).as_posix() for path in (ROOT / "registry").rglob("*")
             if path.is_file() and "__pycache__" not in path.parts}
    assert {f for f in files if not f.endswith(CODE)} - shipped == set()
    assert {f for f in files if f.endswith(".py")} - shipped == set()


def test_the_wheel_has_the_plugins_dutch_templates_and_metadata(wheel):
    templates = "registry/whitelist/datasette/templates/"
    names = {n.removeprefix(templates) for n in wheel.namelist() if n.startswith(templates)}
    assert {"base.html", "index.html", "database.html", "table.html", "row.html", "query.html",
            "error.html", "_crumbs.html", "downloaden.html"} <= names
    metadata = json.loads(wheel.read("registry/whitelist/datasette/metadata.json"))
    assert metadata == json.loads((ROOT / "datasette-metadata.json").read_text())
    assert metadata["databases"]["witte-lijst"]["tables"]["changelog"]["title"] == "Geschiedenis"
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "school_whitelist = registry.whitelist.datasette" in wheel.read(entry_points).decode()
