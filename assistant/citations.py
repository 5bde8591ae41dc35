"""Citations: which clause an [n] points to, and the verbatim sentences relied on.

Every quote is a slice of the clause text, so a reader (or a test) can find it in the
source document; nothing is paraphrased here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from knowledge.benefits import term_of
from knowledge.models import ClauseHit
from knowledge.regions import ancestors, find_regions
from knowledge.text import sentence_bounds

_PART_END = re.compile(r"[^,，、：:]*(?:[,，、：:]|$)")


@dataclass(frozen=True)
class Citation:
    """引用：编号 [n] 指向的条款、所属文件的出处，以及所依据的原文句子。"""

    n: int
    doc_id: str
    title: str
    doc_number: str
    """文号。"""
    issuer: str
    date: str
    region: str
    """条款适用的地区（条款标题点名下级地区时取该地区）。"""
    clause_id: str
    clause_path: str
    text: str
    """条款全文。"""
    quote: str
    """所依据的原文（条款全文的连续片段）。"""
    valid_until: str = ""
    """文件自述的有效期末日（YYYY-MM-DD），文件未写明时为空。"""
    expired: bool = False
    """有效期已过（以答复当天计）。"""

    @property
    def term(self) -> str:
        """"有效期至2020年12月31日" when the document states its end, else ""."""
        if not self.valid_until:
            return ""
        year, month, day = self.valid_until.split("-")
        return f"有效期至{int(year)}年{int(month)}月{int(day)}日"

    def as_json(self) -> dict:
        """The citation object of DESIGN.md (field names are the JSON keys)."""
        # Every field is a plain value: no need for asdict's recursive deep copy.
        return {f.name: getattr(self, f.name) for f in fields(self)}


def citation_for(n: int, hit: ClauseHit, quote: str) -> Citation:
    document, clause = hit.document, hit.clause
    until, expired = term_of(document.validity, document.date)
    return Citation(
        n=n, doc_id=document.doc_id, title=document.title, doc_number=document.doc_number,
        issuer=document.issuer, date=document.date, region=clause_region(hit),
        clause_id=clause.clause_id, clause_path=clause.clause_path, text=clause.text, quote=quote,
        valid_until=until, expired=expired,
    )


def clause_region(hit: ClauseHit) -> str:
    """The region a clause applies to: a district its heading names inside a city's
    document (a city bulletin's "惠济区出台助企“三十条”"), else the document's region."""
    region = hit.document.region
    for named in find_regions(hit.clause.clause_path):
        if region and region in ancestors(named):
            return named
    return region


@dataclass(frozen=True)
class Span:
    """条款内的一段原文：[start, end) 为条款文本中的位置。"""

    start: int
    end: int
    text: str


def sentences(text: str) -> list[Span]:
    """The sentences of a clause (split at 。；！？ and line ends), with offsets."""
    spans = []
    for bound_start, bound_end in sentence_bounds(text):
        raw = text[bound_start:bound_end]
        stripped = raw.strip()
        if not stripped:
            continue
        start = bound_start + (len(raw) - len(raw.lstrip()))
        spans.append(Span(start, start + len(stripped), stripped))
    return spans


def parts(span: Span) -> list[Span]:
    """The comma-separated parts of a sentence, with offsets in the clause."""
    pieces = []
    for match in _PART_END.finditer(span.text):
        if match.group(0):
            pieces.append(Span(span.start + match.start(), span.start + match.end(), match.group(0)))
    return pieces
