"""Cell values as counties type them (full-width digits, 万元, 2024年3月5日, 亩) turned into contract values."""
from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

FEN_PER_UNIT = {"元": Decimal(100), "万元": Decimal(1_000_000), "亿元": Decimal(10_000_000_000)}
M2_PER_UNIT = {"m2": Decimal(1), "亩": Decimal(10000) / Decimal(15), "公顷": Decimal(10000)}
BLANKS = {"", "-", "--", "—", "/", "无", "N/A", "n/a"}
TRUE, FALSE = {"是", "y", "yes", "true", "1", "√"}, {"否", "n", "no", "false", "0", "×"}
EXCEL_EPOCH = date(1899, 12, 30)
# A float cell off an integer fen by less than this is Excel's binary noise (0.1+0.2), not a real sub-fen amount.
FLOAT_NOISE_FEN = Decimal("0.0001")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))$")


class CellProblem(ValueError):
    """A cell that cannot be read, with the reason in Chinese and English."""

    def __init__(self, reason_zh: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_zh, self.reason_en = reason_zh, reason_en


def clean(value: Any) -> Any:
    """Strings NFKC-normalised (full-width digits, （）, －) and stripped; blanks and placeholders → None."""
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value).strip()
        return None if value in BLANKS else value
    return value


def text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed as a number must not read "123.0"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return re.sub(r"\s+", " ", str(value)).strip()


def prose(value: Any) -> str:
    """Free text (形象进度, 存在问题) exactly as written: line breaks, full-width brackets and all; only its ends trimmed."""
    return value.strip() if isinstance(value, str) else text(value)


def code(value: Any) -> str:
    return re.sub(r"\s+", "", text(value)).upper()


def _decimal(value: Any, strip: tuple[str, ...] = ()) -> tuple[Decimal, str | None]:
    """The number and the unit written in the cell, if any ("12.5万元")."""
    if isinstance(value, bool):
        raise CellProblem("不是数字", "not a number")
    if isinstance(value, int):
        return Decimal(value), None
    if isinstance(value, float):
        return Decimal(repr(value)), None
    raw = str(value).replace(",", "").replace(" ", "").replace("¥", "").replace("￥", "")
    unit = next((suffix for suffix in strip if raw.endswith(suffix)), None)
    if unit:
        raw = raw[: -len(unit)]
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise CellProblem("不是数字", "not a number") from None
    if not number.is_finite():
        raise CellProblem("不是数字", "not a number")
    return number, unit


def money_fen(value: Any, unit: str) -> int:
    """Exact: Decimal arithmetic, never float; 亿元, 万元 and 元 written in the cell override the column's unit."""
    number, written = _decimal(value, ("亿元", "万元", "元"))
    fen = number * FEN_PER_UNIT[written or unit]
    if isinstance(value, float) and abs(fen - fen.to_integral_value()) < FLOAT_NOISE_FEN:
        fen = fen.to_integral_value()
    if fen != fen.to_integral_value():
        raise CellProblem(f"金额精确不到分（单位：{written or unit}）", f"amount is finer than one fen (unit {written or unit})")
    if fen < 0:
        raise CellProblem("金额不能为负", "amount must not be negative")
    return int(fen)


def area_m2(value: Any, unit: str) -> int:
    """Whole square metres, rounded half up (亩 → m² is never whole: 1 亩 = 666.67 m²)."""
    number, written = _decimal(value, ("平方米", "m2", "㎡", "亩", "公顷"))
    written = "m2" if written in {"平方米", "㎡"} else written
    if number < 0:
        raise CellProblem("面积不能为负", "area must not be negative")
    return int((number * M2_PER_UNIT[written or unit]).quantize(Decimal(1), ROUND_HALF_UP))


def percent(value: Any) -> Decimal:
    """A fraction: "85%" and 85 both mean 0.85; a spreadsheet's 0.85 (percent-formatted) stays 0.85."""
    number, written = _decimal(value, ("%",))
    if written or number > 1:
        number /= 100
    return number


def integer(value: Any) -> int:
    number, _ = _decimal(value)
    if number != number.to_integral_value():
        raise CellProblem("应为整数", "must be a whole number")
    return int(number)


def boolean(value: Any) -> bool:
    key = text(value).lower()
    if key in TRUE or key in FALSE:
        return key in TRUE
    raise CellProblem("应为“是”或“否”", "must be 是 (yes) or 否 (no)")


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def day(value: Any, month_day: str = "last") -> date:
    """2024年3月5日, 2024/3/5, 2024-03-05, 2024.3.5, 20240305, Excel serials; a bare month (2024-03) → its first or last day."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and 20000 <= value <= 80000:
        return EXCEL_EPOCH + timedelta(days=int(value))
    raw = text(value)
    found = _DATE.match(raw) or _COMPACT.match(raw)
    try:
        if found:
            return date(int(found[1]), int(found[2]), int(found[3]))
        year, number = _year_month(raw)
        return _month_end(year, number) if month_day == "last" else date(year, number, 1)
    except ValueError:
        raise CellProblem(f"日期不存在：{raw}", f"no such date: {raw}") from None


def _year_month(raw: str) -> tuple[int, int]:
    found = _MONTH.match(raw)
    if not found:
        raise CellProblem("无法识别的日期（应如 2024年3月5日、2024/3/5、2024-03）", "unreadable date (expected e.g. 2024-03-05, 2024/3/5, 2024-03)")
    year, number = int(found[1]), int(found[2] or found[3])
    if not 1 <= number <= 12:
        raise CellProblem(f"月份不存在：{raw}", f"no such month: {raw}")
    return year, number


def month(value: Any) -> str:
    """"YYYY-MM" from 2024-03, 2024年3月, 202403 or a full date."""
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    raw = text(value)
    try:
        year, number = _year_month(raw)
    except CellProblem:
        parsed = day(raw)
        year, number = parsed.year, parsed.month
    return f"{year:04d}-{number:02d}"
