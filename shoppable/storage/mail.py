"""Sending mail: over SMTP (aiosmtplib) when SMTP_HOST is set, to the log otherwise (development)."""

from __future__ import annotations

import logging
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid

import aiosmtplib

from shoppable.domain.identity.recovery import EmailMessage, MailError, MailSender
from shoppable.settings import Settings

log = logging.getLogger("shoppable.mail")

SMTP_TIMEOUT_SECONDS = 30


def mime(message: EmailMessage, sender: str) -> MimeMessage:
    mail = MimeMessage()
    mail["From"] = sender
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip("> ") or None)
    mail.set_content(message.body)
    return mail


class SmtpMailSender:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        use_tls: bool = False,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.starttls, self.use_tls = starttls, use_tls

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                mime(message, self.sender),
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.use_tls,
                start_tls=self.starttls and not self.use_tls,
                timeout=SMTP_TIMEOUT_SECONDS,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailError(f"{type(exc).__name__}: {exc}") from exc


class LogMailSender:
    """Development: the whole message goes to the log (it may hold a reset link, so never in
    production, where a missing SMTP_HOST leaves mail unsent in the outbox instead)."""

    def __init__(self, *, debug: bool) -> None:
        self.debug = debug

    async def send(self, message: EmailMessage) -> None:
        if not self.debug:
            raise MailError("SMTP_HOST is not set; mail stays in the outbox")
        log.info("mail to %s: %s\n%s", message.to, message.subject, message.body)


def mail_sender_for(settings: Settings) -> MailSender:
    if settings.smtp_host:
        return SmtpMailSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.mail_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            use_tls=settings.smtp_use_tls,
        )
    return LogMailSender(debug=settings.debug)
