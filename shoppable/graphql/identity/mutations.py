"""Identity mutations: sign up, log in, consent."""

from __future__ import annotations

import strawberry

from shoppable.domain.commerce.cart import merge_device_cart
from shoppable.domain.identity import service
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserError, mutation
from shoppable.graphql.identity.types import Consent, User


@strawberry.input
class SignUpInput:
    email: str
    password: str
    display_name: str

    def to_domain(self) -> service.SignUp:
        return service.SignUp(self.email, self.password, self.display_name)


@strawberry.input
class LogInInput:
    email: str
    password: str

    def to_domain(self) -> service.LogIn:
        return service.LogIn(self.email, self.password)


@strawberry.input
class ConsentInput:
    personalization: bool | None = None
    analytics: bool | None = None
    marketing: bool | None = None

    def to_domain(self) -> service.ConsentChanges:
        return service.ConsentChanges(self.personalization, self.analytics, self.marketing)


@strawberry.type
class AuthPayload:
    token: str | None = None
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConsentPayload:
    consent: Consent | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _join_device(info: Info, user_id: int) -> None:
    """What the calling device did before signing in joins the account (its cart and orders)."""
    context = info.context
    if context.actor.device_id:
        await merge_device_cart(context.uow, context.actor.device_id, user_id, context.services.clock())
        await context.uow.commit()


@strawberry.type
class IdentityMutations:
    @mutation()
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthPayload:
        context = info.context
        result = await service.sign_up(context.uow, context.services, context.actor, input.to_domain())
        await _join_device(info, result.user.id)
        return AuthPayload(token=result.token, user=User.of(result.user))

    @mutation()
    async def log_in(self, info: Info, input: LogInInput) -> AuthPayload:
        context = info.context
        result = await service.log_in(context.uow, context.services, context.actor, input.to_domain())
        await _join_device(info, result.user.id)
        return AuthPayload(token=result.token, user=User.of(result.user))

    @mutation(description="Turn personalization, analytics or marketing consent on or off.")
    async def update_consent(self, info: Info, input: ConsentInput) -> ConsentPayload:
        consent = await service.update_consent(info.context.uow, info.context.actor, input.to_domain())
        return ConsentPayload(consent=Consent.of(consent))
