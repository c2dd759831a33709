"""The read wing: serves a published whitelist file and nothing else.

`reader` follows the file, `check` answers a teacher, `stats` counts the answers, `api` and
`pages` are the public API and pages, `mount` serves Datasette under /lijst with the plugin
in `datasette`, and `app` puts them together (`create_read_app` for a replica). It imports
nothing of the write side (the registry, its storage, models, verdicts or publisher), so it
runs alone on a replica and in a plain `datasette witte-lijst.db`; tests/test_architecture.py
proves it in a fresh interpreter. Kept empty: Datasette imports this package to load its plugin.
"""
