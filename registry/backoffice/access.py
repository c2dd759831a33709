"""Who is signed in to the back office, and what their role lets them do.

CONTRACT (used by every back-office module):
- `signed_in(role)` returns a Litestar guard: a request without a valid session is sent to
  the sign-in page (GET) or refused (other methods); an account whose role does not include
  `role` gets a Dutch 403 page. `Role.admin` includes publisher, publisher includes procurement.
- The dependency `account` (see `DEPENDENCIES`) gives the signed-in `Account`; its `actor`
  is the name every audit event records.
"""

from __future__ import annotations

import msgspec

from registry.models import Role


class Account(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    email: str
    name: str
    role: Role | None

    @property
    def actor(self) -> str:
        return self.email


def signed_in(role: Role):
    raise NotImplementedError("being built")


DEPENDENCIES: dict = {}
