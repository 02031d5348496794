"""Notifications: a real shell command, and e-mail through a real SMTP server (aiosmtpd) on 127.0.0.1."""

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from medcoder.notify import Notice, NotifyError, SmtpSettings, notify, run_command

NOTICE = Notice("degraded", "medcoder: crawl degraded on box (gh:lake)",
                "gh:lake: degraded kept=0 filtered=0 problems=0 duration=1.2s checks: items fail (no postings kept)\n",
                {"MEDCODER_DEGRADED_SOURCES": "gh:lake", "MEDCODER_FAILED_SOURCES": ""})


def test_command_gets_the_summary_on_stdin_and_the_status_in_its_environment(tmp_path):
    out = tmp_path / "out.txt"
    run_command(f'cat > {out}; echo "$MEDCODER_RUN_STATUS|$MEDCODER_DEGRADED_SOURCES" >> {out}', NOTICE)
    assert out.read_text() == NOTICE.text + "degraded|gh:lake\n"


def test_a_failing_command_is_reported_not_raised_by_notify(tmp_path):
    with pytest.raises(NotifyError, match="exited 3.*no webhook"):
        run_command("echo no webhook >&2; exit 3", NOTICE)
    done, errors = notify(NOTICE, command="exit 3")
    assert done == [] and "exited 3" in errors[0]


class Inbox:
    def __init__(self):
        self.messages, self.logins = [], []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, message["Subject"], message.get_content()))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"s3cret")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    port = free_port()
    # Loopback without TLS: AUTH allowed in clear only because this server is on this machine.
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate,
                            auth_require_tls=False)
    controller.start()
    yield inbox, port
    controller.stop()


def test_email_reaches_a_real_smtp_server(smtp_server):
    inbox, port = smtp_server
    env = {"MEDCODER_SMTP_HOST": "127.0.0.1", "MEDCODER_SMTP_PORT": str(port), "MEDCODER_SMTP_FROM": "radar@example.org",
           "MEDCODER_SMTP_TO": "me@example.org, ops@example.org", "MEDCODER_SMTP_USER": "radar",
           "MEDCODER_SMTP_PASSWORD": "s3cret"}
    done, errors = notify(NOTICE, smtp=SmtpSettings.from_env(env))
    assert errors == [] and done == ["e-mail to me@example.org, ops@example.org"]
    assert inbox.logins == [("radar", "s3cret")]
    ((sender, recipients, subject, body),) = inbox.messages
    assert sender == "radar@example.org" and recipients == ["me@example.org", "ops@example.org"]
    assert (subject, body.replace("\r\n", "\n")) == (NOTICE.subject, NOTICE.text)  # SMTP lines end in CRLF


def test_email_failures_are_clear(smtp_server):
    inbox, port = smtp_server
    done, errors = notify(NOTICE, smtp=SmtpSettings("127.0.0.1", free_port(), None, None, "a@example.org", ("b@example.org",)))
    assert done == [] and "failed" in errors[0]  # nobody listening
    with pytest.raises(NotifyError, match="MEDCODER_SMTP_FROM and MEDCODER_SMTP_TO"):
        SmtpSettings.from_env({"MEDCODER_SMTP_HOST": "127.0.0.1"})
    assert SmtpSettings.from_env({}) is None
