"""The package as a wheel installs it: `pip install .` (not editable) into a fresh virtualenv,
then its `registry serve` from a folder outside the checkout. An editable install reads the
checkout, so it cannot show that templates, static files and the whitelist's metadata ship.

About 30 s here, most of it pip fetching the dependencies.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.server]

ROOT = Path(__file__).resolve().parent.parent
METADATA = json.loads((ROOT / "datasette-metadata.json").read_text())
ENV = {k: v for k, v in os.environ.items()
       if not k.startswith("REGISTRY_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
"""Nothing of the checkout's environment: no path into it, no database of its own."""


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh virtualenv with the package installed from a copy of the checkout's package
    files only (building writes `build/` and egg-info beside the source)."""
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"
    shutil.copytree(ROOT / "registry", source / "registry",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "venv", folder / "venv"], check=True, env=ENV)
    subprocess.run([folder / "venv" / "bin" / "python", "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", source],
                   check=True, capture_output=True, cwd=folder, env=ENV, timeout=900)
    return folder / "venv"


def test_the_package_is_imported_from_the_virtualenv(venv, tmp_path):
    code = ("import registry, registry.whitelist.datasette as plugin\n"
            "from datasette.plugins import pm\n"
            "print(registry.__file__, pm.get_plugin('school_whitelist') is plugin)")
    out = subprocess.run([venv / "bin" / "python", "-c", code], cwd=tmp_path, env=ENV,
                         capture_output=True, text=True, check=True).stdout.split()
    assert Path(out[0]).is_relative_to(venv) and not Path(out[0]).is_relative_to(ROOT)
    assert out[1] == "True"


@pytest.fixture
def served(venv, tmp_path, port):
    """The installed `registry serve` on a new database, started in `tmp_path`."""
    process = subprocess.Popen(
        [venv / "bin" / "registry", "serve", "--port", str(port), "--workers", "1",
         "--db", tmp_path / "registry.db"],
        cwd=tmp_path, env=ENV | {"PYTHONUNBUFFERED": "1"}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines, ready = [], threading.Event()

    def drain() -> None:  # as tests/conftest.py's Server: read all, so the pipe never fills
        for line in process.stdout:
            lines.append(line)
            if re.search(r"Started worker-\d", line):
                ready.set()
        ready.set()

    drainer = threading.Thread(target=drain, daemon=True)
    drainer.start()
    try:
        if not ready.wait(timeout=60) or process.poll() is not None:
            raise RuntimeError("registry serve did not start:\n" + "".join(lines))
        transport = httpx.HTTPTransport(retries=5)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", transport=transport,
                          timeout=30) as client:
            yield client
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        drainer.join()
        process.stdout.close()


def test_the_installed_package_serves_the_whitelist_with_its_metadata(served):
    home = served.get("/lijst/")
    assert home.status_code == 200
    assert "Witte lijst digitale leermiddelen" in home.text  # the metadata's title
    assert '<html lang="nl">' in home.text  # the plugin's templates
    assert served.get("/lijst/-/static-plugins/school_whitelist/witte-lijst.css").status_code == 200
    database = served.get("/lijst/witte-lijst.json").json()
    assert [q["name"] for q in database["queries"]] == list(
        METADATA["databases"]["witte-lijst"]["queries"])
    page = served.get("/", params={"q": "Klassenklok"})
    assert page.status_code == 200 and "Wat doe je nu?" in page.text  # the pages' templates
    assert served.get("/static/embed.js").status_code == 200
