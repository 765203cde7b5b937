"""Revocations reach every intake replica at once: whoever revokes (the CLI) announces it on core NATS and each
replica drops the token from its cache. The cache's short TTL stays the fallback when NATS is away."""
from __future__ import annotations

import json
import logging

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from services.intake.tokens import CACHE, TokenCache
from shared.subjects import TOKENS_REVOKED

log = logging.getLogger(__name__)


async def announce_revoked(nats_url: str, token_ids: set[int], nkeys_seed: str | None = None) -> bool:
    """Tell the running replicas; False when NATS could not be reached (they forget within the TTL)."""
    try:
        nc = await nats.connect(nats_url, name="intake-tokens", connect_timeout=2, max_reconnect_attempts=0,
                                allow_reconnect=False, nkeys_seed=nkeys_seed)
    except Exception:
        log.warning("NATS unreachable: running intakes will drop the revoked tokens within their cache TTL")
        return False
    try:
        await nc.publish(TOKENS_REVOKED, json.dumps({"token_ids": sorted(token_ids)}).encode())
        await nc.flush(timeout=2)
        return True
    except Exception:
        log.warning("the revocation was not announced: running intakes will drop it within their cache TTL")
        return False
    finally:
        await nc.close()


async def listen_for_revocations(nc: NatsClient, cache: TokenCache = CACHE) -> Subscription:
    """Every replica listens (no queue group): each one has its own cache."""

    async def on_revoked(msg: Msg) -> None:
        try:
            ids = {int(token_id) for token_id in json.loads(msg.data)["token_ids"]}
        except (ValueError, KeyError, TypeError):
            cache.clear()  # not understood: forgetting everything is always safe
            return
        cache.forget(ids)

    return await nc.subscribe(TOKENS_REVOKED, cb=on_revoked)
