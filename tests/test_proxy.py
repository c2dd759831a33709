"""Behind a proxy (nginx in front of the replicas, see registry/deploy.py): X-Forwarded-For is
believed only from the addresses `serve --trusted-proxy` / $REGISTRY_TRUSTED_PROXIES name, so
the rate limits count each client apart, and a client elsewhere cannot choose its address."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from registry.cli import main
from registry.deploy import NGINX, nginx_config

CHECK = "/api/check?q=Klassenklok"
EXPORT = "/lijst/witte-lijst/tools.csv?_stream=on"
"""A whole-file export: the smallest limit of the read wing (10 an hour per client)."""
LEFT = "ratelimit-remaining"


def asking_from(url: str, address: str) -> httpx.Client:
    """A client of the server at `url` whose requests come from `address` (127.0.0.0/8)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=url, transport=transport, timeout=30)


def left(http: httpx.Client, forwarded_for: str | None = None, path: str = CHECK) -> int:
    """How many requests the check's limit has left for whom this request counts as."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = http.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return int(response.headers[LEFT])


@pytest.mark.server
def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(
        demo_published, read_only_factory, monkeypatch):
    monkeypatch.delenv("REGISTRY_TRUSTED_PROXIES", raising=False)
    server = read_only_factory(demo_published[1], "--trusted-proxy", "127.0.0.1")
    with asking_from(server.url, "127.0.0.1") as proxy:  # as nginx: the teacher's address added
        first = left(proxy, "203.0.113.1")
        assert left(proxy, "203.0.113.1") == first - 1
        assert left(proxy, "203.0.113.2") == first  # another teacher: a count of its own
        assert left(proxy, "198.51.100.9, 203.0.113.2") == first - 1  # made up on the left
        assert left(proxy) == first  # the proxy's own request: its address
    with asking_from(server.url, "127.0.0.2") as stranger:  # not a trusted proxy
        mine = left(stranger, "203.0.113.3")
        assert mine == first  # counted as 127.0.0.2, not as the address it claims
        assert left(stranger, "203.0.113.4") == mine - 1


@pytest.mark.server
def test_a_made_up_forwarded_for_does_not_escape_the_limit(
        demo_published, read_only_factory, monkeypatch):
    """No trusted proxy (the default): X-Forwarded-For is ignored, so a client that sends a
    new address with every request is counted as itself and still runs out."""
    monkeypatch.delenv("REGISTRY_TRUSTED_PROXIES", raising=False)
    server = read_only_factory(demo_published[1])
    with asking_from(server.url, "127.0.0.1") as http:
        first = left(http, "203.0.113.1")
        assert left(http, "203.0.113.2") == first - 1
        exports = [http.get(EXPORT, headers={"X-Forwarded-For": f"203.0.113.{n}"})
                   for n in range(10, 21)]
    assert [r.status_code for r in exports] == [200] * 10 + [429]
    assert int(exports[-1].headers["retry-after"]) > 0


@pytest.mark.parametrize("value", ["nginx.internal", "10.0.0.1/8", "300.1.2.3", "*"])
def test_a_bad_trusted_proxy_is_refused_in_one_line(tmp_path, value):
    result = CliRunner().invoke(main, ["serve", "--read-only", "--whitelist",
                                       str(tmp_path / "w.db"), "--trusted-proxy", value])
    assert result.exit_code == 2
    error = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert error == [f"Error: Invalid value for '--trusted-proxy': {value!r} is not an IP "
                     "address or network such as 10.0.0.0/24."]


@pytest.mark.parametrize(("value", "expected"), [
    ("127.0.0.1", "127.0.0.1"), (" 10.0.0.0/24, ::1 ,", "10.0.0.0/24,::1"), ("", None)])
def test_the_trusted_proxies_reach_the_workers_environment(monkeypatch, value, expected):
    """$REGISTRY_TRUSTED_PROXIES, commas and all, is what the workers read, checked."""
    import os

    from registry.cli_shared import ProxyAddress, trust_proxies

    monkeypatch.setenv("REGISTRY_TRUSTED_PROXIES", "stale")
    proxies = tuple(ProxyAddress().convert(v, None, None)
                    for v in ProxyAddress().split_envvar_value(value))
    trust_proxies(proxies)
    assert os.environ.get("REGISTRY_TRUSTED_PROXIES") == expected


def test_both_factories_wrap_the_app_only_when_proxies_are_trusted(monkeypatch, tmp_path):
    from litestar import Litestar

    from registry.app import app_from_env
    from registry.whitelist.app import read_app_from_env

    monkeypatch.setenv("REGISTRY_DB", str(tmp_path / "registry.db"))
    monkeypatch.setenv("REGISTRY_WHITELIST", str(tmp_path / "witte-lijst.db"))
    monkeypatch.delenv("REGISTRY_TRUSTED_PROXIES", raising=False)
    for factory in (read_app_from_env, app_from_env):
        assert isinstance(factory(), Litestar)
    monkeypatch.setenv("REGISTRY_TRUSTED_PROXIES", "10.0.0.0/24,::1")
    for factory in (read_app_from_env, app_from_env):
        wrapped = factory()
        assert not isinstance(wrapped, Litestar)
        assert isinstance(wrapped.__wrapped__, Litestar)  # the app, for its state


@pytest.mark.server
def test_the_full_server_believes_its_trusted_proxy_too(tmp_path, server_factory, monkeypatch):
    """`registry serve` (no --read-only) passes --trusted-proxy to its workers as well, and
    its lifespan (the registry opened at startup) still runs inside granian's wrapper."""
    monkeypatch.delenv("REGISTRY_TRUSTED_PROXIES", raising=False)
    server = server_factory(tmp_path / "registry.db", "--trusted-proxy", "127.0.0.0/8",
                            workers=1)
    with asking_from(server.url, "127.0.0.1") as proxy:
        first = left(proxy, "203.0.113.1")
        assert left(proxy, "203.0.113.2") == first
        assert left(proxy, "203.0.113.1") == first - 1


@pytest.mark.server
def test_behind_nginx_each_teacher_has_its_own_limit(
        demo_published, read_only_factory, tmp_path, port, monkeypatch):
    """registry/deploy.py's nginx adds the client's address to X-Forwarded-For; a replica
    that trusts nginx (127.0.0.1) counts two teachers (127.0.0.2 and .3) apart."""
    monkeypatch.setenv("REGISTRY_TRUSTED_PROXIES", "127.0.0.1")  # as test_load_balancer.py
    replica = read_only_factory(demo_published[1])
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_config(f"127.0.0.1:{port}", [f"127.0.0.1:{replica.port}"], tmp_path,
                                 worker_processes=1))
    nginx = subprocess.Popen([NGINX, "-e", str(tmp_path / "error.log"), "-c", str(conf),
                              "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.STDOUT)
    balancer = f"http://127.0.0.1:{port}"
    try:
        with asking_from(balancer, "127.0.0.2") as one, asking_from(balancer, "127.0.0.3") as two:
            deadline = time.monotonic() + 20
            while not answers(one):
                assert time.monotonic() < deadline, "nginx answers"
                with contextlib.suppress(subprocess.TimeoutExpired):
                    nginx.wait(timeout=0.05)  # a short wait, over at once if nginx stops
                assert nginx.poll() is None, (tmp_path / "error.log").read_text()
            first = left(two, "198.51.100.1")  # made up: nginx adds the real one after it
            assert left(one) == first  # another teacher: a count of its own
            assert left(two) == first - 1
            assert left(one, "127.0.0.3") == first - 1  # claims to be the other: no use
    finally:
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=20)


def answers(http: httpx.Client) -> bool:
    """Whether `http`'s server answers /api/health yet."""
    try:
        return http.get("/api/health").status_code == 200
    except httpx.TransportError:
        return False


def test_the_readmes_nginx_configuration_is_the_one_the_tests_run():
    """README's deployment section shows `deploy.nginx_config` for three replica machines."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    shown = readme.split("<!-- nginx-config -->\n```nginx\n", 1)[1].split("\n```", 1)[0]
    replicas = ["10.0.0.11:8000", "10.0.0.12:8000", "10.0.0.13:8000"]
    assert shown + "\n" == nginx_config("0.0.0.0:80", replicas, Path("/var/lib/registry-nginx"))
