"""Identity mutations: sign up, log in, consent."""

from __future__ import annotations

import strawberry

from shoppable.domain.errors import DomainError
from shoppable.domain.identity import service
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserError, user_errors
from shoppable.graphql.identity.types import Consent, User


@strawberry.input
class SignUpInput:
    email: str
    password: str
    display_name: str


@strawberry.input
class LogInInput:
    email: str
    password: str


@strawberry.input
class ConsentInput:
    personalization: bool | None = None
    analytics: bool | None = None
    marketing: bool | None = None


@strawberry.type
class AuthPayload:
    token: str | None = None
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConsentPayload:
    consent: Consent | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _tokens(info: Info) -> service.TokenConfig:
    settings = info.context.settings
    return service.TokenConfig(secret=settings.secret_key, ttl_seconds=settings.token_ttl_seconds)


@strawberry.type
class IdentityMutations:
    @strawberry.mutation
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthPayload:
        try:
            result = await service.sign_up(
                info.context.uow,
                info.context.uow.identity,
                _tokens(info),
                input.email,
                input.password,
                input.display_name,
            )
        except DomainError as exc:
            return AuthPayload(user_errors=user_errors(exc.errors))
        return AuthPayload(token=result.token, user=User.of(result.user))

    @strawberry.mutation
    async def log_in(self, info: Info, input: LogInInput) -> AuthPayload:
        try:
            result = await service.log_in(
                info.context.uow, info.context.uow.identity, _tokens(info), input.email, input.password
            )
        except DomainError as exc:
            return AuthPayload(user_errors=user_errors(exc.errors))
        return AuthPayload(token=result.token, user=User.of(result.user))

    @strawberry.mutation(description="Turn personalization, analytics or marketing consent on or off.")
    async def update_consent(self, info: Info, input: ConsentInput) -> ConsentPayload:
        try:
            consent = await service.update_consent(
                info.context.uow,
                info.context.uow.identity,
                info.context.actor,
                input.personalization,
                input.analytics,
                input.marketing,
            )
        except DomainError as exc:
            return ConsentPayload(user_errors=user_errors(exc.errors))
        return ConsentPayload(consent=Consent.of(consent))
