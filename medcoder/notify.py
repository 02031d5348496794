"""Telling someone when a crawl failed or degraded: a command to run, or an e-mail.

* A command (``--notify-command`` or ``$MEDCODER_NOTIFY_COMMAND``), run by the
  shell like a git hook, with the summary on standard input and
  ``MEDCODER_RUN_STATUS`` (failed or degraded), ``MEDCODER_DB``,
  ``MEDCODER_LOG_FILE``, ``MEDCODER_FAILED_SOURCES`` and
  ``MEDCODER_DEGRADED_SOURCES`` (space-separated ids) in its environment.
  Anything works: ``mail -s ...``, a curl to a chat webhook, a script.
* E-mail over SMTP when ``$MEDCODER_SMTP_HOST`` is set, with
  ``MEDCODER_SMTP_PORT`` (default 587; 465 means TLS from the start),
  ``MEDCODER_SMTP_USER``/``MEDCODER_SMTP_PASSWORD`` (optional),
  ``MEDCODER_SMTP_FROM`` and ``MEDCODER_SMTP_TO`` (comma-separated).
  STARTTLS is used whenever the server offers it; a password is never sent
  over an unencrypted connection except to a server on this machine.

A notification that cannot be delivered is reported, never fatal: the crawl
already happened and its result is in the database.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import subprocess
from dataclasses import dataclass, field
from email.message import EmailMessage

COMMAND_ENV = "MEDCODER_NOTIFY_COMMAND"
COMMAND_TIMEOUT = 120  # seconds: a hung hook must not hold the crawl lock for ever
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


class NotifyError(RuntimeError):
    """A notification could not be delivered (the message says which and why)."""


@dataclass
class Notice:
    """What a notification says: a status (failed or degraded), a subject line, the text, and hook variables."""

    status: str
    subject: str
    text: str
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class SmtpSettings:
    host: str
    port: int = 587
    user: str | None = None
    password: str | None = None
    sender: str | None = None
    recipients: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SmtpSettings | None:
        """The ``MEDCODER_SMTP_*`` settings; None when no host is set. A half-set configuration is an error."""
        env = os.environ if env is None else env
        host = env.get("MEDCODER_SMTP_HOST", "").strip()
        if not host:
            return None
        recipients = tuple(a.strip() for a in env.get("MEDCODER_SMTP_TO", "").split(",") if a.strip())
        sender = env.get("MEDCODER_SMTP_FROM", "").strip() or None
        if not recipients or not sender:
            raise NotifyError("MEDCODER_SMTP_HOST is set: MEDCODER_SMTP_FROM and MEDCODER_SMTP_TO are needed too")
        try:
            port = int(env.get("MEDCODER_SMTP_PORT") or 587)
        except ValueError:
            raise NotifyError(f"MEDCODER_SMTP_PORT={env['MEDCODER_SMTP_PORT']!r} is not a port number") from None
        return cls(host, port, env.get("MEDCODER_SMTP_USER") or None, env.get("MEDCODER_SMTP_PASSWORD") or None,
                   sender, recipients)


def run_command(command: str, notice: Notice, *, timeout: float = COMMAND_TIMEOUT) -> None:
    """Run ``command`` through the shell with the notice's text on stdin and its variables in the environment."""
    env = {**os.environ, "MEDCODER_RUN_STATUS": notice.status, **notice.env}
    try:
        proc = subprocess.run(command, shell=True, input=notice.text, text=True, env=env, timeout=timeout,
                              capture_output=True)
    except subprocess.TimeoutExpired:
        raise NotifyError(f"notify command timed out after {timeout:g}s: {command}") from None
    if proc.returncode != 0:
        raise NotifyError(f"notify command exited {proc.returncode}: {command}: {(proc.stderr or proc.stdout).strip()[:500]}")


def send_email(smtp: SmtpSettings, notice: Notice, *, timeout: float = 30) -> None:
    """Send the notice by e-mail (STARTTLS when offered; implicit TLS on port 465)."""
    msg = EmailMessage()
    msg["Subject"] = notice.subject
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(smtp.recipients)
    msg.set_content(notice.text)
    context = ssl.create_default_context()
    try:
        if smtp.port == 465:
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
        with client:
            encrypted = smtp.port == 465
            if not encrypted:
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                    encrypted = True
            if smtp.user:
                if not encrypted and smtp.host not in _LOOPBACK:
                    raise NotifyError(f"{smtp.host}:{smtp.port} offers no STARTTLS: not sending the password in clear")
                client.login(smtp.user, smtp.password or "")
            client.send_message(msg)
    except (smtplib.SMTPException, OSError, socket.timeout) as exc:
        raise NotifyError(f"e-mail via {smtp.host}:{smtp.port} failed: {exc}") from None


def notify(notice: Notice, *, command: str | None = None, smtp: SmtpSettings | None = None) -> tuple[list[str], list[str]]:
    """Deliver ``notice`` by every configured channel; return (what was delivered, errors)."""
    done, errors = [], []
    if command:
        try:
            run_command(command, notice)
            done.append("command")
        except NotifyError as exc:
            errors.append(str(exc))
    if smtp:
        try:
            send_email(smtp, notice)
            done.append("e-mail to " + ", ".join(smtp.recipients))
        except NotifyError as exc:
            errors.append(str(exc))
    return done, errors
