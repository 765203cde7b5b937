"""E-mail over SMTP with aiosmtplib: Chinese subject and body, Message-ID from the delivery key."""
from __future__ import annotations

import asyncio
import socket
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

import aiosmtplib

from services.notifier.adapters.channels.base import PermanentDeliveryError, TransientDeliveryError
from services.notifier.domain import Endpoint
from services.notifier.messages import Message


class EmailChannel:
    """`smtp_url` is smtp://[user:password@]host:port (STARTTLS when offered) or smtps://… (TLS).

    The endpoint address is the mailbox. The Message-ID is <delivery_key@tuijin>, so a retry
    after a lost answer shows up in the mailbox as the same message, and threads stay together.
    """

    name = "email"

    def __init__(self, smtp_url: str, sender: str, timeout: float = 30.0) -> None:
        parts = urlsplit(smtp_url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"smtp_url must look like smtp://host:port or smtps://host:port, got {smtp_url!r}")
        self._host = parts.hostname
        self._implicit_tls = parts.scheme == "smtps"
        self._port = parts.port or (465 if self._implicit_tls else 25)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._sender = sender
        self._timeout = timeout
        # aiosmtplib builds both for every connection, so every message: a TLS context loading the CA store (~20 ms of
        # CPU) and this host's FQDN for EHLO (a reverse DNS lookup). Made on the first message, then reused; the lock
        # keeps a round's concurrent first sends (20 at a time) from each making their own.
        self._tls: ssl.SSLContext | None = None
        self._local_hostname: str | None = None
        self._preparing = asyncio.Lock()

    def build(self, endpoint: Endpoint, message: Message, delivery_key: str, person: str | None = None) -> EmailMessage:
        mail = EmailMessage()
        mail["Message-ID"] = f"<{delivery_key}@tuijin>"
        mail["Date"] = formatdate(localtime=False)
        mail["From"] = self._sender
        mailbox = endpoint.address
        mail["To"] = Address(display_name=person, addr_spec=mailbox) if person else mailbox
        mail["Subject"] = message.title
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies back to us
        mail.set_content(message.text_plain, charset="utf-8", cte="base64")
        return mail

    async def send(self, endpoint: Endpoint, message: Message, delivery_key: str, *, person: str | None = None) -> None:
        mail = self.build(endpoint, message, delivery_key, person)
        if self._tls is None or self._local_hostname is None:
            async with self._preparing:
                if self._tls is None:  # aiosmtplib's own default context (the machine's CA store, certificates verified)
                    self._tls = await asyncio.to_thread(ssl.create_default_context, ssl.Purpose.SERVER_AUTH)
                if self._local_hostname is None:
                    self._local_hostname = await asyncio.to_thread(socket.getfqdn)
        try:
            await aiosmtplib.send(
                mail,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._implicit_tls,
                tls_context=self._tls,
                local_hostname=self._local_hostname,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refused.code for refused in exc.recipients]
            _raise_for_code(min(codes) if codes else 550, f"email: recipient refused: {exc}", exc)
        except aiosmtplib.SMTPResponseException as exc:
            _raise_for_code(exc.code, f"email: SMTP {exc.code} {exc.message}", exc)
        except (aiosmtplib.SMTPException, OSError) as exc:  # connect, timeout, disconnect
            raise TransientDeliveryError(f"email: {type(exc).__name__}: {exc}") from exc


def _raise_for_code(code: int, detail: str, cause: Exception) -> None:
    if 400 <= code < 500:
        raise TransientDeliveryError(detail) from cause
    raise PermanentDeliveryError(detail) from cause
