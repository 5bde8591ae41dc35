"""Which tier of a tiered rule a question's own figure falls in ("贡献超过1000万的企业按多少
比例奖励？" against "……100万元至500万元的，按30%……；500万元以上的，按50%……").

A tier's condition is the part of it before the grant ("的，按…", "给予…"); its bounds are
read from there only, so a cap after the grant ("最高不超过200万元") is never a bound.
"""

from __future__ import annotations

import math
import re

_SCALE = {"亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, "千": 1e3, "": 1.0}
_NUMBER = r"(\d+(?:\.\d+)?)\s*(亿|千万|百万|万|千)?\s*(美元|元)?"
_FIGURE = re.compile(_NUMBER + r"(?![\d.%％])")
_RANGE = re.compile(_NUMBER + r"\s*(?:至|到|—|-|~|～)\s*" + _NUMBER)
# 最高不超过200万元 is a cap, not a floor.
_AT_LEAST = re.compile(r"(?:(?<![不未])超过|(?<![不未])高于|(?<![不未])大于|不低于|(?<!未)达到|(?<!未)满)\s*" + _NUMBER
                       + r"|" + _NUMBER + r"\s*(?:以上|及以上|（含）以上)")
_BELOW = re.compile(r"(?:不足|低于|少于|未达到|未满)\s*" + _NUMBER + r"|" + _NUMBER + r"\s*(?:以下|及以下)")
_GRANT = re.compile(r"的[，,]|给予|奖励|补助|补贴|奖补|资助|按照|按")


def _value(number: str, unit: str | None) -> float:
    return float(number) * _SCALE[unit or ""]


def question_figure(question: str) -> tuple[float, str, str] | None:
    """The one amount a question states (value, currency, as typed), if it states exactly
    one with a unit (1000万, 500万美元, 3亿元); a bare number (2023, 3家) is no amount."""
    found = [(m, m.group(2) or "", m.group(3) or "") for m in _FIGURE.finditer(question)]
    amounts = [(_value(m.group(1), unit), currency or "元", m.group(0).strip())
               for m, unit, currency in found if unit or currency]
    return amounts[0] if len(amounts) == 1 else None


def _bounds(condition: str) -> tuple[float, float, str] | None:
    """[low, high) and the currency of a tier's condition ("200万美元以上、500万美元以下",
    "100万元至500万元", "不足1000万元"); None when it states no bound."""
    low, high, currencies = -math.inf, math.inf, set()
    for match in _RANGE.finditer(condition):
        low = max(low, _value(match.group(1), match.group(2) or match.group(5)))
        high = min(high, _value(match.group(4), match.group(5)))
        currencies.add(match.group(6) or match.group(3) or "元")
    for pattern, is_low in ((_AT_LEAST, True), (_BELOW, False)):
        for match in pattern.finditer(condition):
            number, unit, currency = match.groups()[0:3] if match.group(1) else match.groups()[3:6]
            if is_low:
                low = max(low, _value(number, unit))
            else:
                high = min(high, _value(number, unit))
            currencies.add(currency or "元")
    if not currencies or len(currencies) > 1:
        return None
    return low, high, currencies.pop()


def beyond_tiers(question: str, text: str) -> bool:
    """The question states an amount that none of two or more tiers of `text` holds (贡献
    超过1000万 against tiers that end at 1000万元): the text does not say what applies.

    Example:
        >>> tiers = "贡献100万元至300万元的，扶持12%；300万元至1000万元（含1000万元）的，扶持25%。"
        >>> beyond_tiers("贡献超过2000万的扶持比例是多少？", tiers), beyond_tiers("贡献400万扶持多少？", tiers)
        (True, False)
        >>> beyond_tiers("扶持比例是多少？", tiers), beyond_tiers("贡献超过1000万的扶持比例是多少？", tiers)
        (False, True)
        >>> beyond_tiers("贡献200万能返多少？", "按其贡献的一定比例进行扶持，贡献在100万元至300万元的，扶持12%。" + tiers)
        False
        >>> beyond_tiers("投资80万能补多少？", "按投资额的10%给予补助，最高不超过200万元；按5%给予贴息，最高不超过100万元。")
        False
        >>> rule = "注册资本在1亿美元以下的外资企业由市工商局直接登记。"
        >>> beyond_tiers("注册资本超过1亿美元的到哪登记？", rule), beyond_tiers("注册资本5000万美元的到哪登记？", rule)
        (True, False)
        >>> beyond_tiers("注册资本2亿美元的到哪登记？", rule)
        True
    """
    asked = question_figure(question)
    if asked is None:
        return False
    value, currency, typed = asked
    bounded = _tiers(text, currency)
    # One rule for what lies below a ceiling ("1亿美元以下的…由市工商局登记") does not say
    # what applies above it either.
    ceiling = len(bounded) == 1 and bounded[0][1] == -math.inf
    if _asks_above(question, typed):  # 超过1000万: a tier ending at 1000万元 does not say
        return (len(bounded) >= 2 or ceiling) and not any(high > value for _, _, high in bounded)
    # Bounds count as inclusive here (（含1000万元）): refusing a figure a tier may hold is worse.
    return (len(bounded) >= 2 or ceiling) and not any(low <= value <= high for _, low, high in bounded)


def _asks_above(question: str, typed: str) -> bool:
    """The question states its figure as a floor (超过1000万, 1000万以上), not as the amount."""
    return _as_floor(question, typed) != ("", "")


def _as_floor(question: str, typed: str) -> tuple[str, str]:
    """The words that make `typed` a floor in `question`: before it (超过) and after it (以上)."""
    at = question.find(typed)
    before, after = question[max(0, at - 3):at], question[at + len(typed):at + len(typed) + 3]
    floor_before = re.search(r"(?:超过|高于|大于|多于|超)$", before)
    floor_after = re.match(r"(?:以上|多)", after)
    return (floor_before.group(0) if floor_before else "", floor_after.group(0) if floor_after else "")


def stated_figure(question: str) -> str | None:
    """The owner's figure as they put it, floor words included.

    Example:
        >>> stated_figure("贡献超过1000万的扶持比例是多少？"), stated_figure("一年贡献200万，能返多少？")
        ('超过1000万', '200万')
    """
    asked = question_figure(question)
    if asked is None:
        return None
    before, after = _as_floor(question, asked[2])
    return before + asked[2] + after


def _tier_parts(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[；;。]", text) if p.strip()]


def _tiers(text: str, currency: str) -> list[tuple[str, float, float]]:
    """The parts of `text` whose condition bounds an amount in `currency`, with [low, high]."""
    tiers = []
    for part in _tier_parts(text):
        bounds = _bounds(_condition(part))
        if bounds is not None and bounds[2] == currency:
            tiers.append((part, bounds[0], bounds[1]))
    return tiers


def _condition(part: str) -> str:
    """A tier's condition: up to its grant, looked for after its first figure ("按其对区级
    贡献的一定比例…扶持，年度区级贡献在100万元至300万元的，扶持12%": the 按 in front is no grant)."""
    first = _FIGURE.search(part)
    grant = (_GRANT.search(part, first.start()) if first else None) or _GRANT.search(part)
    return part[: grant.start()] if grant else part


def granted(part: str) -> str:
    """What a tier grants, its condition left out.

    Example:
        >>> granted("年度区级贡献在1000万元以上的，由县政府研究给予特殊支持")
        '由县政府研究给予特殊支持'
        >>> granted("贡献100万元至500万元的，按30%给予奖励")
        '按30%给予奖励'
        >>> granted("年度区级贡献在500万元至1000万元（含1000万元），扶持25%")
        '年度区级贡献在500万元至1000万元（含1000万元），扶持25%'
    """
    condition = _condition(part)
    # No word marks where the grant starts (…（含1000万元），扶持25%): the whole part.
    return part if condition == part else part[len(condition):].lstrip("的，,")


def matching_tier(question: str, quote: str) -> str | None:
    """The tier of `quote` (its parts between ； or 。) whose condition holds the amount the
    question states; None unless exactly one of two or more tiers does.

    Example:
        >>> tiers = "贡献100万元至500万元的，按30%给予奖励；500万元以上的，按50%给予奖励，最高不超过200万元。"
        >>> matching_tier("贡献超过1000万的总部企业奖励比例是多少？", tiers)
        '500万元以上的，按50%给予奖励，最高不超过200万元'
        >>> matching_tier("贡献300万奖多少？", tiers)
        '贡献100万元至500万元的，按30%给予奖励'
        >>> matching_tier("奖励比例是多少？", tiers) is None
        True
    """
    asked = question_figure(question)
    if asked is None:
        return None
    value, currency, _ = asked
    if len(_tier_parts(quote)) < 2:
        return None
    fitting = [part for part, low, high in _tiers(quote, currency) if low <= value < high]
    return fitting[0] if len(fitting) == 1 else None


def figure_fits(question: str, sentence: str) -> bool | None:
    """Whether the amount the question states meets the condition `sentence` sets for its
    grant ("贡献200万" against "年度区级贡献在1000万元以上的…给予…": False; against
    "100万元至300万元的，扶持12%": True); None when either states none.

    Example:
        >>> figure_fits("一年区级贡献200万，能返多少？", "年度区级贡献在1000万元以上的总部企业，给予特殊优惠政策支持。")
        False
        >>> figure_fits("一年区级贡献200万，能返多少？", "年度区级贡献在100万元至300万元（含300万元）的，扶持12%。")
        True
        >>> figure_fits("区级贡献能返多少？", "年度区级贡献在1000万元以上的，给予支持。") is None
        True
    """
    asked = question_figure(question)
    if asked is None:
        return None
    value, currency, _ = asked
    tiers = _tiers(sentence, currency)
    # Inclusive at the top, as beyond_tiers: 至300万元（含300万元） holds 300万.
    return any(low <= value <= high for _, low, high in tiers) if tiers else None
