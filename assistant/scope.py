"""Which documents a question may be answered from: the places it names (or the page's
region), each reaching its chain (甘井子区 -> 大连市 -> 辽宁省 -> 全国) as far as the
knowledge base has documents.

A question asking of one government by its level ("甘井子的公司，市里给多少") is scoped to the
chain's regions of that level (大连市), when it has any.

A place with none in its chain reaches the places inside it that have documents
(金华市 -> 义乌市), else it is reported as not covered and never answered with another
region's clauses. A shared place name (朝阳区) with documents behind more than one of its
places is reported so the visitor can be asked which one is meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.questions import QuestionFrame
from knowledge.regions import gazetteer


@dataclass(frozen=True)
class Scope:
    """检索范围：可检索的文件地区、知识库未收录的地名、需要问清的同名地名。"""

    regions: tuple[str, ...]
    """检索限定的文件地区（空表示不限）。"""
    uncovered: tuple[str, ...] = ()
    """问题提到、但知识库没有对应文件的地名。"""
    ambiguous: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(原文, 知识库有文件的同名地区)。"""

    def __iter__(self) -> Iterator:
        """Unpacks as (regions, uncovered, ambiguous)."""
        return iter((self.regions, self.uncovered, self.ambiguous))


def scope_question(question: QuestionFrame, region: str | None, covered: set[str]) -> Scope:
    """The scope of `question` (its places, else the page's `region`) over the document
    regions in `covered`.

    Example:
        >>> from assistant.questions import frame
        >>> scope_question(frame("甘井子区有什么奖励"), None, {"大连市", "辽宁省", "郑州市"}).regions
        ('大连市', '辽宁省')
        >>> scope_question(frame("上海市有什么奖励"), None, {"大连市"}).uncovered
        ('上海市',)
        >>> tuple(scope_question(frame("西安高新区研发补贴多少"), None, {"郑州市", "郑州高新技术产业开发区"}))[:2]
        ((), ('西安市',))
    """
    places = gazetteer()
    named = list(question.regions)
    if not named and region and not question.unresolved:
        named = [region]
    scope: set[str] = set()
    uncovered: list[str] = []
    for name in named:
        related = (set(places.chain(name)) & covered) or (set(places.descendants(name)) & covered)
        if related:
            scope |= related
        else:
            uncovered.append(name)
    ambiguous = []
    for text, candidates in question.unresolved:
        if question.regions:
            # "西安高新区": a short form many places share, said of a place the question
            # names, is that place's own; another city's 高新区 never scopes it.
            candidates = tuple(c for c in candidates if set(places.chain(c)) & set(question.regions))
            if not candidates:
                continue
        reachable = [c for c in candidates if set(places.chain(c)) - {"全国"} & covered]
        if not reachable and text in places.informal:
            # A short form several places share (新城) is as often an ordinary word
            # (生态科技创新城): with no documents behind it, it neither scopes nor refuses.
            continue
        if not reachable:
            uncovered.append(text)
        elif len(reachable) == 1:
            scope |= set(places.chain(reachable[0])) & covered
        else:
            ambiguous.append((text, tuple(reachable)))
    return Scope(tuple(sorted(_at_levels_asked(scope, question.text))), tuple(uncovered), tuple(ambiguous))


_NOT_A_GOVERNMENT = r"(?<![在到去回住进])"
_GOVERNMENT_SAID = (
    ("省", re.compile(rf"{_NOT_A_GOVERNMENT}省(?:里|上|政府|财政)(?!认定|评|定的)")),
    ("市", re.compile(rf"{_NOT_A_GOVERNMENT}(?<![上城超都门])市(?:里|上|政府|财政)(?!认定|评|定的)")),
    ("区县", re.compile(rf"{_NOT_A_GOVERNMENT}(?<![园小社景厂发郊片街营校市城山新税])[区县](?:里|上|政府|财政)(?!认定|评|定的)")),
)
"""The government an owner asks about by its level ("市里给多少", "区里能补不"); not a title's
level (市里认定的), a place (超市里, 园区里, 高新区里, 在区里经营) nor 上市 (上市政府奖励)."""


def _at_levels_asked(scope: set[str], text: str) -> set[str]:
    """`scope`'s regions of the levels the question asks of ("甘井子的公司，市里给多少": 大连市's
    documents), all of it when it asks of none or has none of that level.

    Example:
        >>> sorted(_at_levels_asked({"甘井子区", "大连市", "辽宁省"}, "我们甘井子的公司，市里补多少？"))
        ['大连市']
        >>> sorted(_at_levels_asked({"甘井子区", "大连市"}, "在超市里开店，有补贴吗？"))
        ['大连市', '甘井子区']
        >>> [sorted(_at_levels_asked({"甘井子区", "大连市", "辽宁省"}, q)) for q in ("企业上市政府给多少奖励？", "得在区里经营几年？")]
        [['大连市', '甘井子区', '辽宁省'], ['大连市', '甘井子区', '辽宁省']]
        >>> sorted(_at_levels_asked({"义乌市", "金华市"}, "我们在义乌开厂，市里能补多少？"))
        ['义乌市', '金华市']
    """
    places = gazetteer()
    levels = {level for level, said in _GOVERNMENT_SAID if said.search(text)}
    # A county-level city (义乌市) is the 市里 of those in it.
    at_levels = {name for name in scope if places.level_of(name) in levels
                 or "市" in levels and places.level_of(name) == "区县" and name.endswith("市")}
    return at_levels or scope
