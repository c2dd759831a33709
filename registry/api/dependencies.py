"""What the write side's handlers are given by name (Litestar dependency injection):
`registry`, the connection `create_app` opens at startup; `db_path`, for work in a worker
thread on a connection of its own; `askers` (registry/api/askers.py). The read wing's
(`whitelist`, `whitelist_path`, `stats`, `today`) are in registry/whitelist/app.py.

Each provider only looks up what the app keeps in its state, and runs on the event loop
(`sync_to_thread=False`): the shared SQLite connection must never reach the thread pool
(docs: stack-notes, SQLite threads)."""

from __future__ import annotations

from pathlib import Path

from litestar.datastructures import State
from litestar.di import Provide

from registry.api.askers import Askers
from registry.db import Registry


def provide_registry(state: State) -> Registry:
    return state.registry


def provide_db_path(state: State) -> Path:
    return state.registry.path


def provide_askers(state: State) -> Askers:
    return state.setdefault("askers", Askers())


DEPENDENCIES = {
    "registry": Provide(provide_registry, sync_to_thread=False),
    "db_path": Provide(provide_db_path, sync_to_thread=False),
    "askers": Provide(provide_askers, sync_to_thread=False),
}
