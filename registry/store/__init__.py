"""The parts of `registry.db.Registry`, one noun each; `Registry` is the one entry object.

    connection.py    opening a database (pragmas, read-only) and `Store`: the connection
                     with its write transaction and its reads, which every part is given
    kinds.py         one declaration per kind of record: types, table, JSON columns,
                     references, linked lists, text search, filters
    rows.py          records <-> rows: JSON columns, timestamps
    records.py       reading records of any kind, with their linked lists, in batches
    references.py    the reference checks, for one record and for a whole import
    audit.py         `registry.audit`: append-only events chained by hash, and their check
    policies.py      `registry.policies`: versions of the minimum standards
    reviews.py       `registry.reviews`: teachers' review requests and procurement's answers
    tokens.py        `registry.tokens`: API tokens, stored as hashes
    accounts.py      `registry.accounts`: staff accounts (argon2 passwords or an OIDC
                     identity), roles, and the throttle of failed sign-ins
    sessions.py      `registry.sessions`: the back office's server-side sessions
    publications.py  `registry.publications`: the record of each published whitelist
    files.py         `registry.file`: the database checked whole, and copied (backup)

Each part is built by `Registry` with what it needs (the `Store`, the audit log), and
nothing else; all the write side's SQL lives in `registry.db` and here.
"""
