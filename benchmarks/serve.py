"""`python -m benchmarks.serve TARGET PORT WORKERS`: granian as `registry serve` runs it.

The same options as `registry.cli.serve` (ASGI, a factory, N workers, no access log), on
127.0.0.1 only, with another factory: see `benchmarks.apps`.
"""

import sys

from granian import Granian


def main() -> None:
    target, port, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    Granian(
        target,
        factory=True,
        interface="asgi",
        address="127.0.0.1",
        port=port,
        workers=workers,
        log_access=False,
        log_level="warning",
    ).serve()


if __name__ == "__main__":
    main()
