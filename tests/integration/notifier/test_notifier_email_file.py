"""E-mail against a real aiosmtpd server, and the file outbox."""
from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from notifier_receiver import SmtpCapture

from services.notifier.adapters.channels import PermanentDeliveryError, TransientDeliveryError
from services.notifier.adapters.channels.email import EmailChannel
from services.notifier.adapters.channels.file import FileChannel
from services.notifier.domain import Endpoint
from services.notifier.messages import Message

MESSAGE = Message(
    title="【升级】义乌国际陆港物流园：超预算超过20%",
    text_markdown="**超支 23.45%**\n\n- **批复预算**：1,000万元",
    text_plain="超支 23.45%\n批复预算：1,000万元\n市纪委监委：请于5个工作日内核实情况。",
)


def _channel(smtp: SmtpCapture) -> EmailChannel:
    return EmailChannel(f"smtp://{smtp.host}:{smtp.port}", "推进平台 <tuijin@yiwu.example.gov.cn>", timeout=5)


async def test_email_arrives_with_message_id_and_chinese_subject(smtp_server: SmtpCapture) -> None:
    await _channel(smtp_server).send(Endpoint("email", "luo@yiwu.example.gov.cn"), MESSAGE, "4c1f-key", person="骆文斌")
    envelope = smtp_server.envelopes[-1]
    assert envelope.rcpt_tos == ["luo@yiwu.example.gov.cn"]
    assert envelope.mail_from == "tuijin@yiwu.example.gov.cn"
    mail = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert mail["Message-ID"] == "<4c1f-key@tuijin>"
    assert str(mail["Subject"]) == MESSAGE.title
    assert mail["To"].addresses[0].display_name == "骆文斌"
    assert mail["From"].addresses[0].display_name == "推进平台"
    assert mail.get_content().rstrip("\n") == MESSAGE.text_plain
    assert b"\xe8" not in envelope.original_content.split(b"\r\n\r\n")[0]  # headers stay 7-bit (RFC 2047)


async def test_smtp_4xx_is_transient_5xx_permanent(smtp_server: SmtpCapture) -> None:
    channel = _channel(smtp_server)
    with pytest.raises(TransientDeliveryError, match="451"):
        await channel.send(Endpoint("email", "busy@yiwu.example.gov.cn"), MESSAGE, "k-busy")
    with pytest.raises(PermanentDeliveryError, match="550"):
        await channel.send(Endpoint("email", "nobody@yiwu.example.gov.cn"), MESSAGE, "k-nobody")


async def test_starttls_mail_is_verified_and_the_channel_builds_its_tls_context_once(tmp_path: Path,
                                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that requires STARTTLS, with a certificate the system trusts (SSL_CERT_FILE): every message goes
    encrypted and verified, and the channel loads the CA store once, not for every message (~20 ms of CPU each), also
    when a delivery round's first messages go out together."""
    cert, key = tmp_path / "smtp.pem", tmp_path / "smtp.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    capture = SmtpCapture(host="localhost", port=port)
    controller = Controller(capture, hostname="127.0.0.1", port=port, tls_context=server_tls, require_starttls=True)
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # what the machine's CA store would hold for a real server
    made: list[Any] = []
    create_default_context = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(args)
        return create_default_context(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counted)
    try:
        channel = EmailChannel(f"smtp://localhost:{port}", "tuijin@yiwu.example.gov.cn", timeout=5)
        await asyncio.gather(*(channel.send(Endpoint("email", "luo@yiwu.example.gov.cn"), MESSAGE, f"tls-{n}") for n in range(3)))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "trusts-nothing.pem"))
        (tmp_path / "trusts-nothing.pem").write_text("")
        with pytest.raises(TransientDeliveryError):  # an untrusted certificate is refused (here: the store is fixed)
            await EmailChannel(f"smtp://localhost:{port}", "tuijin@yiwu.example.gov.cn", timeout=5).send(
                Endpoint("email", "luo@yiwu.example.gov.cn"), MESSAGE, "tls-untrusted")
    finally:
        controller.stop()
    assert [envelope.rcpt_tos for envelope in capture.envelopes] == [["luo@yiwu.example.gov.cn"]] * 3
    assert len(made) == 2  # one per channel


async def test_smtp_server_down_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = EmailChannel(f"smtp://127.0.0.1:{port}", "tuijin@example.gov.cn", timeout=2)
    with pytest.raises(TransientDeliveryError):
        await channel.send(Endpoint("email", "a@example.gov.cn"), MESSAGE, "k-down")


def test_bad_smtp_url() -> None:
    with pytest.raises(ValueError, match="smtp://"):
        EmailChannel("http://mail:25", "a@b")


async def test_file_appends_json_lines_and_echoes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "outbox" / "330782" / "何伟.jsonl"
    channel = FileChannel()
    endpoint = Endpoint("file", str(path))
    await channel.send(endpoint, MESSAGE, "k-1", person="何伟")
    await channel.send(endpoint, MESSAGE, "k-2", person="何伟")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["delivery_key"] for line in lines] == ["k-1", "k-2"]
    assert lines[0] == {"delivery_key": "k-1", "person": "何伟", "address": str(path), "title": MESSAGE.title, "text": MESSAGE.text_markdown}
    assert "【通知】何伟 ← 【升级】义乌国际陆港物流园" in capsys.readouterr().out


async def test_file_unwritable_is_permanent(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(PermanentDeliveryError):
        await FileChannel(echo=False).send(Endpoint("file", str(blocker / "a.jsonl")), MESSAGE, "k")


async def test_file_sends_of_one_round_land_in_order_and_one_bad_path_fails_only_its_own(tmp_path: Path) -> None:
    """A delivery round sends many at once; they are appended together, so order and failures are per file."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    paths = [tmp_path / "a" / "甲.jsonl", tmp_path / "b" / "乙.jsonl", blocker / "丙.jsonl"]
    channel = FileChannel(echo=False)
    sends = [channel.send(Endpoint("file", str(paths[i % 3])), MESSAGE, f"k-{i}") for i in range(30)]
    outcomes = await asyncio.gather(*sends, return_exceptions=True)
    assert [i for i, outcome in enumerate(outcomes) if isinstance(outcome, PermanentDeliveryError)] == list(range(2, 30, 3))
    assert all(outcome is None for i, outcome in enumerate(outcomes) if i % 3 != 2)
    for first, path in enumerate(paths[:2]):
        keys = [json.loads(line)["delivery_key"] for line in path.read_text(encoding="utf-8").splitlines()]
        assert keys == [f"k-{i}" for i in range(first, 30, 3)]
    # and the next round writes again, after the last one's writer is done
    await channel.send(Endpoint("file", str(paths[0])), MESSAGE, "k-later")
    assert paths[0].read_text(encoding="utf-8").splitlines()[-1].startswith('{"delivery_key": "k-later"')
