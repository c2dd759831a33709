"""A real SMTP server for tests (aiosmtpd), on 127.0.0.1 at a free port.

A pytest plugin (conftest.py names it in `pytest_plugins`); fixtures are added by the
digest work (issue 16).
"""
