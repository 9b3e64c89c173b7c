"""Identity queries."""

from __future__ import annotations

import strawberry

from shoppable.graphql.context import Info
from shoppable.graphql.identity.types import Consent, User, Viewer


@strawberry.type
class IdentityQueries:
    @strawberry.field(description="The signed-in user; null when anonymous or calling with an API key.")
    async def viewer(self, info: Info) -> Viewer | None:
        user_id = info.context.actor.user_id
        user = await info.context.uow.identity.get_user(user_id) if user_id else None
        if user is None:
            return None
        return Viewer(user=User.of(user), email=user.email, consent=Consent.of(user.consent), record=user)
