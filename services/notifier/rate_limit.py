"""Token buckets per endpoint key, with time passed in, so a burst can be folded into a digest."""
from __future__ import annotations

from dataclasses import dataclass

# DingTalk custom robots and WeCom group robots both accept 20 messages per minute per robot.
ROBOT_MESSAGES_PER_MINUTE = 20
# Float refill (e.g. 3 s × 1/3 token/s) can land a hair under a whole token.
_EPSILON = 1e-9


@dataclass(frozen=True)
class BucketState:
    tokens: float
    updated: float


class TokenBucket:
    """`capacity` tokens at most, refilled continuously at `refill_per_second`, one bucket per key.

    A plain bucket lets through up to capacity + refill × window in any window. When a hard cap
    per rolling window matters (DingTalk mutes a robot for 10 minutes past 20 a minute), build it
    with `strict(limit, window)`, which splits the limit between burst and refill.
    """

    def __init__(self, capacity: int = ROBOT_MESSAGES_PER_MINUTE, refill_per_second: float = ROBOT_MESSAGES_PER_MINUTE / 60.0) -> None:
        if capacity < 1 or refill_per_second <= 0:
            raise ValueError("capacity must be at least 1 and refill_per_second positive")
        self.capacity = capacity
        self.refill_per_second = refill_per_second
        self._states: dict[str, BucketState] = {}

    @classmethod
    def per_window(cls, limit: int, window_seconds: float) -> TokenBucket:
        """Burst of `limit`, refilled at `limit` per window: the classic bucket the robots' docs suggest."""
        return cls(capacity=limit, refill_per_second=limit / window_seconds)

    @classmethod
    def strict(cls, limit: int, window_seconds: float) -> TokenBucket:
        """Never more than `limit` in any window of `window_seconds`: burst b plus refill (limit - b)."""
        burst = max(1, limit // 2)
        return cls(capacity=burst, refill_per_second=(limit - burst) / window_seconds)

    def refilled(self, state: BucketState | None, now: float) -> BucketState:
        """`state` (None: a bucket never used, so full) as it stands at `now`; pure, so a shared store can use it too."""
        if state is None:
            return BucketState(tokens=float(self.capacity), updated=now)
        # A clock that steps back (NTP) must not mint or burn tokens.
        elapsed = max(0.0, now - state.updated)
        return BucketState(min(float(self.capacity), state.tokens + elapsed * self.refill_per_second), max(now, state.updated))

    @staticmethod
    def has_token(state: BucketState) -> bool:
        return state.tokens >= 1.0 - _EPSILON

    def _current(self, key: str, now: float) -> BucketState:
        return self.refilled(self._states.get(key), now)

    def take(self, key: str, now: float) -> bool:
        state = self._current(key, now)
        if self.has_token(state):
            self._states[key] = BucketState(state.tokens - 1.0, state.updated)
            return True
        self._states[key] = state
        return False

    def next_available(self, key: str, now: float) -> float:
        """The earliest time `take(key, t)` will succeed; `now` when a token is there already."""
        state = self._current(key, now)
        if self.has_token(state):
            return now
        return state.updated + max(0.0, 1.0 - state.tokens) / self.refill_per_second

    def tokens(self, key: str, now: float) -> float:
        return self._current(key, now).tokens
