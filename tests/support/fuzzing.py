"""One Schemathesis run per operation of an app's OpenAPI, valid and invalid requests alike: none may get a 5xx."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error


def fuzz(operation: Any, max_examples: int, headers_for: Callable[[Any], dict[str, str] | None], seen: Counter[tuple[str, int]]) -> None:
    """`headers_for(case)` may also point the case at the county its token is for; `seen` counts (operation, status)."""
    modes = [operation.as_strategy(generation_mode=mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]

    @given(case=strategies.one_of(modes))
    @settings(max_examples=max_examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        response = case.call_and_validate(headers=headers_for(case), checks=[not_a_server_error])
        seen[operation.label, response.status_code] += 1

    run()
