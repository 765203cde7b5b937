"""Value types every contract shares: county codes, project codes, money in fen."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

COUNTY_CODE_PATTERN = r"^[1-9]\d{5}$"
# 项目代码 of the national online platform: YYMM-RRRRRR-DD-TT-NNNNNN (4+6+2+2+6 digits).
PROJECT_CODE_PATTERN = r"^\d{2}(0[1-9]|1[0-2])-[1-9]\d{5}-\d{2}-\d{2}-\d{6}$"
# A month a bulletin or a page can be of: from 1990 (the earliest ledger date intake accepts), in ASCII digits. The
# contracts' month fields keep their published pattern (\d{4}); intake refuses the rest (validation.py).
CALENDAR_MONTH_PATTERN = r"^(199[0-9]|20[0-9]{2})-(0[1-9]|1[0-2])$"

CountyCode = Annotated[
    str,
    StringConstraints(pattern=COUNTY_CODE_PATTERN),
    Field(description="6-digit administrative division code (行政区划代码)", examples=["330106"]),
]
ProjectCode = Annotated[
    str,
    StringConstraints(pattern=PROJECT_CODE_PATTERN),
    Field(description="24-character 项目代码 YYMM-RRRRRR-DD-TT-NNNNNN", examples=["2403-330106-04-01-123456"]),
]
Fen = Annotated[int, Field(ge=0, description="money in integer fen (分); 1 元 = 100 fen")]
AreaM2 = Annotated[int, Field(ge=0, description="area in whole square metres")]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must carry a time zone")
    try:
        return value.astimezone(UTC)
    except OverflowError as error:  # e.g. 9999-12-31T23:59-23:59: a validation error, not a crash
        raise ValueError("out of the representable range") from error


UtcDatetime = Annotated[datetime, AfterValidator(_require_utc)]


def is_county_code(value: str) -> bool:
    return re.fullmatch(COUNTY_CODE_PATTERN, value) is not None


def project_code_region(code: str) -> str:
    """The 6-digit region part of a 项目代码."""
    return code.split("-")[1]
