"""What a sector runs in front of its read-only replicas: the nginx configuration that
tests/test_load_balancer.py and benchmarks/replicas.py start, and the README shows.

Not part of either wing: nothing here is served, and the read wing never imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

NGINX = "/usr/sbin/nginx"
"""Where Debian's nginx package puts it."""


def nginx_config(listen: str, replicas: Sequence[str], runtime: Path, *,
                 worker_processes: int | str = "auto", fail_timeout_s: int = 2) -> str:
    """A whole nginx.conf: `listen` (`127.0.0.1:8080`, or `443 ssl` with your certificates
    added) balancing over `replicas` (`host:port` of each `registry serve --read-only`).

    A replica that refuses the connection, times out or answers 502/503 (it has no file
    yet) is skipped for `fail_timeout_s` seconds and the request goes to the next one, so
    a replica that is down or restarting loses no reads. `runtime` holds nginx's pid, error
    log and temporary files, so it runs as any user (`nginx -c FILE -g 'daemon off;'`).
    Access logs are off: teachers' questions are not logged with their address. Start the
    replicas with `--trusted-proxy` nginx's address, so they count the rate limits per
    client, not all teachers as one.
    """
    servers = "\n".join(f"        server {r} max_fails=1 fail_timeout={fail_timeout_s}s;"
                        for r in replicas)
    temp = "\n".join(f"    {kind}_temp_path {runtime / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""\
worker_processes {worker_processes};
pid {runtime / 'nginx.pid'};
error_log {runtime / 'error.log'} warn;

events {{
    worker_connections 1024;
}}

http {{
    access_log off;
{temp}

    upstream replicas {{
{servers}
        keepalive 32;
    }}

    server {{
        listen {listen};

        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            # The client's address and scheme, believed by replicas started with
            # --trusted-proxy (nginx's address); the rate limits count per client by it.
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 1s;
            proxy_read_timeout 30s;
            proxy_max_temp_file_size 0;  # stream large answers (the CSV export), no temp file
        }}
    }}
}}
"""
