"""What a visitor's message is before it is a policy question: a greeting, thanks, a
question about what huiqi can do, or a request for an overview ("有什么政策"). Those get
a short reply built from the knowledge base — the places and documents it covers and
three questions worth asking — never a refusal, and they open no inquiry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GREETING = re.compile(
    r"^(?:(?:你好|您好|hello|hi|嗨|哈喽|在吗|在不在|早上好|上午好|中午好|下午好|晚上好|有人吗)[呀啊吗呢！!～~。.，,？? ]*){1,3}$", re.I
)
THANKS = re.compile(r"^(?:(?:好的?|嗯|哦)[，,]?)?(?:谢谢|感谢|多谢|谢了|辛苦了|thanks?|thank you)(?:你|您|啦|了)?[呀啊！!～~。.，, ]*$", re.I)
CAPABILITIES = re.compile(r"(?:你|您)(?:能|可以|会)(?:做|干|帮)(?:什么|啥|些什么)|你是谁|你是什么|怎么用|能问什么|可以问什么|有什么功能")
OVERVIEW = re.compile(
    r"^(?:请问)?(?:(?:[你我咱]们?)?(?:这里|这边|这)?(?:都|一共|现在)?有(?:什么|哪些|啥)(?:惠企|扶持|优惠|支持)?政策|"
    r"(?:惠企|扶持|优惠)政策有(?:什么|哪些|啥)|政策(?:都)?有(?:什么|哪些|啥))[呀啊吗呢？?！!。. ]*$"
)
"""An overview that names nothing but a place: "有什么政策", "甘井子有哪些扶持政策"."""


@dataclass(frozen=True)
class Intent:
    """消息意图：greeting / thanks / capabilities / overview / policy。"""

    kind: str
    place_text: str = ""
    """概览问题里去掉地名之前的原文（仅 overview）。"""

    @property
    def is_guide(self) -> bool:
        return self.kind != "policy"


def classify(text: str, place_mentions: list[str]) -> Intent:
    """The intent of `text`; `place_mentions` are the place names it contains (they are
    taken out before an overview is recognised, so "甘井子有什么政策" is one).

    Example:
        >>> classify("你好！", []).kind, classify("在吗？你好", []).kind, classify("谢谢", []).kind
        ('greeting', 'greeting', 'thanks')
        >>> classify("甘井子有哪些扶持政策？", ["甘井子"]).kind, classify("专精特新有什么奖励", []).kind
        ('overview', 'policy')
        >>> classify("甘井子？", ["甘井子"]).kind
        'overview'
    """
    stripped = text.strip()
    if GREETING.match(stripped):
        return Intent("greeting")
    if THANKS.match(stripped):
        return Intent("thanks")
    if CAPABILITIES.search(stripped) and len(stripped) <= 20:
        return Intent("capabilities")
    without_places = stripped
    for place in sorted(place_mentions, key=len, reverse=True):
        without_places = without_places.replace(place, "")
    without_places = re.sub(r"^[的在]|(?<=[^有])的", "", without_places)
    bare_place = place_mentions and not re.sub(r"[\s\W]", "", without_places)
    if bare_place or OVERVIEW.match(without_places.strip()):
        return Intent("overview", stripped)
    return Intent("policy")
