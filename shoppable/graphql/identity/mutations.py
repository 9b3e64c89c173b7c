"""Identity mutations: accounts and sessions, password reset, consent, the recommendation profile,
data export and erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from shoppable.domain.identity import privacy, recovery, service, sessions
from shoppable.domain.identity.records import SessionChannel as ChannelRecord
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserError, mutation
from shoppable.graphql.core.ids import decode_input_id
from shoppable.graphql.feed.mutations import Channel
from shoppable.graphql.identity.types import (
    Consent,
    DataExport,
    RecommendationProfile,
    Session,
    User,
)


def _client(info: Info, channel: Any, device_label: str | None) -> sessions.ClientInfo:
    """The session's channel (the input's, else `X-Channel`) and label (the input's, else the User-Agent)."""
    request = info.context.request
    agent = request.headers.get("user-agent", "") if request is not None else ""
    chosen = ChannelRecord(channel.value if channel is not None else info.context.actor.channel)
    return sessions.ClientInfo(chosen, device_label if device_label is not None else agent)


@strawberry.input
class ConsentInput:
    personalization: bool | None = None
    analytics: bool | None = None
    marketing: bool | None = None

    def to_domain(self) -> service.ConsentChanges:
        return service.ConsentChanges(self.personalization, self.analytics, self.marketing)


@strawberry.input
class SignUpInput:
    email: str
    password: str
    display_name: str
    consent: ConsentInput | None = strawberry.field(
        default=None, description="The sign-up form's choices; everything is off unless chosen."
    )
    channel: Channel | None = None  # type: ignore[valid-type]  # a strawberry enum
    device_label: str | None = strawberry.field(default=None, description="Default: the User-Agent.")


@strawberry.input
class LogInInput:
    email: str
    password: str
    channel: Channel | None = None  # type: ignore[valid-type]
    device_label: str | None = None


@strawberry.input
class RefreshTokenInput:
    refresh_token: str


@strawberry.input
class RevokeSessionInput:
    session_id: strawberry.ID


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str
    sign_out_other_sessions: bool = True


@strawberry.input
class RequestPasswordResetInput:
    email: str


@strawberry.input
class ResetPasswordInput:
    token: str
    new_password: str
    channel: Channel | None = None  # type: ignore[valid-type]
    device_label: str | None = None


@strawberry.input
class DeleteAccountInput:
    password: str


@strawberry.type
class AuthPayload:
    token: str | None = strawberry.field(default=None, description="Access token (15 minutes).")
    refresh_token: str | None = strawberry.field(
        default=None, description="Good for one refreshToken call; each call returns the next one."
    )
    expires_at: datetime | None = strawberry.field(default=None, description="When `token` expires.")
    user: User | None = None
    session: Session | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, result: sessions.AuthResult) -> AuthPayload:
        session = result.session
        return cls(
            token=result.token,
            refresh_token=result.refresh_token,
            expires_at=result.expires_at,
            user=User.of(result.user),
            session=Session.of(session, session.id) if session else None,
        )


@strawberry.type
class ConsentPayload:
    consent: Consent | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogOutPayload:
    logged_out: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokeSessionPayload:
    revoked: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RequestPasswordResetPayload:
    accepted: bool = strawberry.field(
        default=False, description="True whether or not the email has an account (nothing leaks)."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RecommendationProfilePayload:
    recommendation_profile: RecommendationProfile | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DataExportPayload:
    export: DataExport | None = None
    data: JSON | None = strawberry.field(default=None, description="The document itself, when small.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteAccountPayload:
    deleted: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class IdentityMutations:
    @mutation(description="Create an account and sign in; a device's anonymous activity joins it.")
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthPayload:
        context = info.context
        form = service.SignUp(
            input.email,
            input.password,
            input.display_name,
            input.consent.to_domain() if input.consent else None,
            _client(info, input.channel, input.device_label),
        )
        return AuthPayload.of(await service.sign_up(context.uow, context.services, context.actor, form))

    @mutation(description="Sign in: a new session; the device's anonymous activity joins the account.")
    async def log_in(self, info: Info, input: LogInInput) -> AuthPayload:
        context = info.context
        form = service.LogIn(input.email, input.password, _client(info, input.channel, input.device_label))
        return AuthPayload.of(await service.log_in(context.uow, context.services, context.actor, form))

    @mutation(description="Trade a refresh token for new tokens; a spent one used again ends the session.")
    async def refresh_token(self, info: Info, input: RefreshTokenInput) -> AuthPayload:
        result = await sessions.refresh(info.context.uow, info.context.services.tokens, input.refresh_token)
        return AuthPayload.of(result)

    @mutation(description="End the current session.")
    async def log_out(self, info: Info) -> LogOutPayload:
        await sessions.log_out(info.context.uow, info.context.actor)
        return LogOutPayload(logged_out=True)

    @mutation(description="End another of the viewer's sessions (a lost phone).")
    async def revoke_session(self, info: Info, input: RevokeSessionInput) -> RevokeSessionPayload:
        session_id = decode_input_id(input.session_id, "Session", ("sessionId",))
        await sessions.revoke_session(info.context.uow, info.context.actor, session_id)
        return RevokeSessionPayload(revoked=True)

    @mutation(description="Change the password; other sessions end unless signOutOtherSessions is false.")
    async def change_password(self, info: Info, input: ChangePasswordInput) -> AuthPayload:
        form = sessions.ChangePassword(
            input.current_password, input.new_password, input.sign_out_other_sessions
        )
        context = info.context
        return AuthPayload.of(
            await sessions.change_password(context.uow, context.services.tokens, context.actor, form)
        )

    @mutation(
        description="Email a single-use reset link; the answer is the same whether or not the email exists."
    )
    async def request_password_reset(
        self, info: Info, input: RequestPasswordResetInput
    ) -> RequestPasswordResetPayload:
        context = info.context
        outbox_id = await recovery.request_password_reset(
            context.uow, context.services, context.actor, input.email
        )
        if outbox_id is not None:
            await context.services.jobs.enqueue("mail_outbox")
        return RequestPasswordResetPayload(accepted=True)

    @mutation(description="Choose a new password with a reset link: every session ends, a new one starts.")
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> AuthPayload:
        form = recovery.ResetPassword(
            input.token, input.new_password, _client(info, input.channel, input.device_label)
        )
        return AuthPayload.of(await recovery.reset_password(info.context.uow, info.context.services, form))

    @mutation(description="Turn personalization, analytics or marketing consent on or off.")
    async def update_consent(self, info: Info, input: ConsentInput) -> ConsentPayload:
        consent = await service.update_consent(info.context.uow, info.context.actor, input.to_domain())
        return ConsentPayload(consent=Consent.of(consent))

    @mutation(description="Forget the viewer's activity for ranking.")
    async def reset_recommendation_profile(self, info: Info) -> RecommendationProfilePayload:
        context = info.context
        now = context.services.clock()
        await privacy.reset_recommendation_profile(context.uow, context.actor, now)
        profile = await privacy.recommendation_profile(
            context.uow, context.actor, context.services.models, now
        )
        return RecommendationProfilePayload(recommendation_profile=RecommendationProfile.of(profile))

    @mutation(description="Start a copy of everything kept about the viewer; small ones come back inline.")
    async def request_data_export(self, info: Info) -> DataExportPayload:
        context = info.context
        requested = await privacy.request_data_export(context.uow, context.services, context.actor)
        await context.services.jobs.enqueue("data_export", export_id=requested.export.id)
        base = context.settings.public_base_url.rstrip("/")
        url = f"{base}/v1/privacy/exports/{requested.export.id}/download?token={requested.download_token}"
        return DataExportPayload(
            export=DataExport.of(requested.export, url), data=cast(Any, requested.inline)
        )

    @mutation(description="Erase the account and everything that names the viewer; needs the password.")
    async def delete_account(self, info: Info, input: DeleteAccountInput) -> DeleteAccountPayload:
        context = info.context
        erasure = await privacy.delete_account(context.uow, context.services, context.actor, input.password)
        if erasure.files_left:
            await context.services.jobs.enqueue("delete_media_objects", keys=erasure.files_left)
        return DeleteAccountPayload(deleted=True)
