"""Token buckets with injected time."""
from __future__ import annotations

import pytest

from services.notifier.rate_limit import TokenBucket


def test_burst_of_25_in_a_minute_lets_20_through() -> None:
    bucket = TokenBucket.per_window(20, 60.0)
    results = [bucket.take("dingtalk:群", 1000.0 + i * 0.01) for i in range(25)]
    assert results.count(True) == 20 and results[:20] == [True] * 20
    now = 1000.25
    assert bucket.next_available("dingtalk:群", now) == pytest.approx(1000.0 + 3.0, abs=0.02)
    assert not bucket.take("dingtalk:群", 1002.0)
    assert bucket.take("dingtalk:群", bucket.next_available("dingtalk:群", 1002.0))


def test_keys_are_independent_and_available_now_when_tokens_left() -> None:
    bucket = TokenBucket(capacity=1, refill_per_second=1.0)
    assert bucket.take("a", 0.0) and not bucket.take("a", 0.0)
    assert bucket.take("b", 0.0)
    assert bucket.next_available("c", 5.0) == 5.0
    assert bucket.next_available("a", 0.5) == pytest.approx(1.0)


def test_clock_stepping_back_does_not_mint_tokens() -> None:
    bucket = TokenBucket(capacity=1, refill_per_second=1.0)
    assert bucket.take("a", 100.0)
    assert not bucket.take("a", 50.0)
    assert bucket.next_available("a", 50.0) == pytest.approx(101.0)


def test_strict_never_exceeds_limit_in_any_window() -> None:
    bucket = TokenBucket.strict(20, 60.0)
    sent = [t / 10 for t in range(0, 3000) if bucket.take("k", t / 10)]
    for i, start in enumerate(sent):
        assert sum(1 for t in sent[i:] if t < start + 60.0) <= 20


def test_invalid_configuration() -> None:
    with pytest.raises(ValueError):
        TokenBucket(capacity=0)
