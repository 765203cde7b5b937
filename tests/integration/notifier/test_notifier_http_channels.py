"""Webhook, DingTalk and WeCom channels against a real HTTP receiver on 127.0.0.1."""
from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from notifier_receiver import DINGTALK_SECRET, WEBHOOK_SECRET, HttpReceiver

from services.notifier.adapters.channels import PermanentDeliveryError, TransientDeliveryError, build_channels
from services.notifier.adapters.channels.dingtalk import DingTalkChannel
from services.notifier.adapters.channels.webhook import WebhookChannel
from services.notifier.adapters.channels.wecom import WeComChannel
from services.notifier.domain import Endpoint
from services.notifier.messages import Message
from shared.tls import client_tls

MESSAGE = Message(
    title="【预警】云栖小镇智能制造产业园：闲置土地（满一年）",
    text_markdown="**地块P-01约定动工满一年仍未动工开发**\n\n- **项目代码**：2403-330106-04-01-123456",
    text_plain="地块P-01约定动工满一年仍未动工开发",
)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0), verify=client_tls()) as shared:
        yield shared


def _last(receiver: HttpReceiver, kind: str) -> dict[str, object]:
    return [s for s in receiver.seen if s["kind"] == kind][-1]


async def test_webhook_is_signed_per_standard_webhooks(http_receiver: HttpReceiver, client: httpx.AsyncClient) -> None:
    endpoint = Endpoint("webhook", f"{http_receiver.base_url}/webhook/200", WEBHOOK_SECRET)
    await WebhookChannel(client).send(endpoint, MESSAGE, "key-0001")
    seen = _last(http_receiver, "webhook")
    assert seen["payload"] == {"delivery_key": "key-0001", "title": MESSAGE.title, "text": MESSAGE.text_markdown}
    headers = seen["headers"]
    assert isinstance(headers, dict) and headers["webhook-id"] == "key-0001"
    assert headers["webhook-signature"].startswith("v1,")


async def test_webhook_with_wrong_secret_is_rejected_permanently(http_receiver: HttpReceiver, client: httpx.AsyncClient) -> None:
    endpoint = Endpoint("webhook", f"{http_receiver.base_url}/webhook/200", "whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==")
    with pytest.raises(PermanentDeliveryError, match="HTTP 401"):
        await WebhookChannel(client).send(endpoint, MESSAGE, "key-0002")


@pytest.mark.parametrize(("status", "error"), [(500, TransientDeliveryError), (503, TransientDeliveryError), (429, TransientDeliveryError),
                                               (408, TransientDeliveryError), (400, PermanentDeliveryError), (404, PermanentDeliveryError)])
async def test_webhook_status_mapping(http_receiver: HttpReceiver, client: httpx.AsyncClient, status: int, error: type[Exception]) -> None:
    endpoint = Endpoint("webhook", f"{http_receiver.base_url}/webhook/{status}", WEBHOOK_SECRET)
    with pytest.raises(error, match=f"HTTP {status}"):
        await WebhookChannel(client).send(endpoint, MESSAGE, f"key-{status}")


async def test_connection_refused_and_timeout_are_transient(http_receiver: HttpReceiver) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    async with httpx.AsyncClient(timeout=0.3) as client:
        channel = WebhookChannel(client)
        with pytest.raises(TransientDeliveryError, match="ConnectError"):
            await channel.send(Endpoint("webhook", f"http://127.0.0.1:{closed_port}/x", WEBHOOK_SECRET), MESSAGE, "k")
        with pytest.raises(TransientDeliveryError, match="Timeout"):
            await channel.send(Endpoint("webhook", f"{http_receiver.base_url}/slow", WEBHOOK_SECRET), MESSAGE, "k")


async def test_dingtalk_markdown_with_valid_sign(http_receiver: HttpReceiver, client: httpx.AsyncClient) -> None:
    endpoint = Endpoint("dingtalk", f"{http_receiver.base_url}/robot/send?access_token=ok-token", DINGTALK_SECRET)
    await build_channels("smtp://127.0.0.1:25", client, "推进 <tuijin@example.gov.cn>")["dingtalk"].send(endpoint, MESSAGE, "k1")
    seen = _last(http_receiver, "dingtalk")
    assert seen["query"]["access_token"] == "ok-token"  # type: ignore[index]
    assert seen["payload"] == {
        "msgtype": "markdown",
        "markdown": {"title": MESSAGE.title, "text": f"### {MESSAGE.title}\n\n{MESSAGE.text_markdown}"},
    }


async def test_dingtalk_bad_sign_is_permanent_and_too_fast_is_transient(http_receiver: HttpReceiver, client: httpx.AsyncClient) -> None:
    channel = DingTalkChannel(client)
    with pytest.raises(PermanentDeliveryError, match="errcode 310000"):
        await channel.send(Endpoint("dingtalk", f"{http_receiver.base_url}/robot/send?access_token=t", "SECwrong"), MESSAGE, "k2")
    with pytest.raises(TransientDeliveryError, match="errcode 130101"):
        await channel.send(Endpoint("dingtalk", f"{http_receiver.base_url}/robot/send?access_token=too-fast", DINGTALK_SECRET), MESSAGE, "k3")


async def test_dingtalk_without_secret_sends_no_sign(http_receiver: HttpReceiver, client: httpx.AsyncClient) -> None:
    await DingTalkChannel(client).send(Endpoint("dingtalk", f"{http_receiver.base_url}/robot/send?access_token=plain"), MESSAGE, "k4")
    assert set(_last(http_receiver, "dingtalk")["query"]) == {"access_token"}  # type: ignore[arg-type]


async def test_wecom_markdown_and_errcodes(http_receiver: HttpReceiver, client: httpx.AsyncClient) -> None:
    channel = WeComChannel(client)
    await channel.send(Endpoint("wecom", f"{http_receiver.base_url}/cgi-bin/webhook/send?key=good"), MESSAGE, "k5")
    seen = _last(http_receiver, "wecom")
    assert seen["payload"] == {"msgtype": "markdown", "markdown": {"content": f"### {MESSAGE.title}\n{MESSAGE.text_markdown}"}}
    with pytest.raises(TransientDeliveryError, match="errcode 45009"):
        await channel.send(Endpoint("wecom", f"{http_receiver.base_url}/cgi-bin/webhook/send?key=limited"), MESSAGE, "k6")
    with pytest.raises(PermanentDeliveryError, match="errcode 93000"):
        await channel.send(Endpoint("wecom", f"{http_receiver.base_url}/cgi-bin/webhook/send?key=bad-key"), MESSAGE, "k7")


async def test_wecom_cuts_long_content_to_4096_bytes(http_receiver: HttpReceiver, client: httpx.AsyncClient) -> None:
    long = Message(title="长消息", text_markdown="闲置土地" * 2000, text_plain="")
    await WeComChannel(client).send(Endpoint("wecom", f"{http_receiver.base_url}/cgi-bin/webhook/send?key=good"), long, "k8")
    content = _last(http_receiver, "wecom")["payload"]["markdown"]["content"]  # type: ignore[index]
    assert len(content.encode("utf-8")) <= 4096 and content.endswith("已截断，详见系统）")
