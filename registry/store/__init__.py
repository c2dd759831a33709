"""The rooms of `registry.db.Registry`, one noun each; `Registry` is the one entry object.

    rows.py          rows <-> builtins: JSON columns, timestamps
    audit.py         the audit log: append-only events chained by hash, and their check
    policies.py      versions of the minimum standards
    reviews.py       teachers' review requests and procurement's answers to them
    tokens.py        API tokens, stored as hashes
    publications.py  the record of each published whitelist
    files.py         opening a file read-only, checking it whole, copying it (backup)

Each is a mixin of `Registry` and uses its core (`write`, `_rows`, `_insert`, `get`); all
the write side's SQL lives in `registry.db` and here.
"""
