"""Word (.docx) text as Word shows it: paragraphs and tables in document order, with the
numbers Word draws for auto-numbered paragraphs (第一章, 第一条, 一、, (一), 1.) written
out from the numbering part. Headers, footers and page numbers are not body text and are
left out.

A numbering part that is missing or broken loses only the numbers, never text; the
loader reports it as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cn2an
from docx.document import Document as WordDocument
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"
_MAX_LEVELS = 9


@dataclass
class _Level:
    start: int = 1
    number_format: str = "decimal"
    text: str = "%1."
    suffix: str = "tab"


@dataclass
class _Numbering:
    """What numbering.xml says: each list's levels, and the counters while reading."""

    levels: dict[str, dict[int, _Level]] = field(default_factory=dict)
    counters: dict[str, list[int | None]] = field(default_factory=dict)

    def label(self, num_id: str, level: int) -> str:
        levels = self.levels.get(num_id)
        if not levels or level not in levels:
            return ""
        counters = self.counters.setdefault(num_id, [None] * _MAX_LEVELS)
        current = counters[level]
        counters[level] = levels[level].start if current is None else current + 1
        for deeper in range(level + 1, _MAX_LEVELS):
            counters[deeper] = None
        spec = levels[level]
        if spec.number_format in ("bullet", "none"):
            return ""
        text = spec.text
        for n in range(_MAX_LEVELS, 0, -1):
            if f"%{n}" in text:
                value = counters[n - 1] if counters[n - 1] is not None else levels.get(n - 1, _Level()).start
                text = text.replace(f"%{n}", format_number(value, levels.get(n - 1, spec).number_format))
        if not text or spec.suffix == "nothing" or text.endswith(("、", "．", ".")):
            return text
        return text + " "


def format_number(value: int, number_format: str) -> str:
    """A list counter as Word draws it in `number_format`.

    Example:
        >>> format_number(12, "chineseCounting"), format_number(3, "decimalEnclosedCircleChinese")
        ('十二', '③')
    """
    if number_format in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
                         "chineseLegalSimplified"):
        return cn2an.an2cn(value)
    if number_format in ("ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand"):
        return "".join("〇一二三四五六七八九"[int(d)] for d in str(value))
    if number_format == "ideographTraditional" and 1 <= value <= 10:
        return _HEAVENLY_STEMS[value - 1]
    if number_format.startswith("decimalEnclosedCircle") and 1 <= value <= 20:
        return _CIRCLED[value - 1]
    if number_format in ("upperLetter", "lowerLetter") and value >= 1:
        letter = _LETTERS[(value - 1) % 26] * ((value - 1) // 26 + 1)
        return letter if number_format == "upperLetter" else letter.lower()
    if number_format in ("upperRoman", "lowerRoman") and value >= 1:
        roman = _roman(value)
        return roman if number_format == "upperRoman" else roman.lower()
    if number_format == "decimalZero":
        return f"{value:02d}"
    if number_format == "decimalFullWidth":
        return "".join(chr(ord("０") + int(d)) for d in str(value))
    return str(value)


def _roman(value: int) -> str:
    numerals = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = []
    for amount, symbol in numerals:
        count, value = divmod(value, amount)
        out.append(symbol * count)
    return "".join(out)


def docx_lines(document: WordDocument, warnings: list[str]) -> list[str]:
    """The body of a Word document as lines, numbered paragraphs with their numbers."""
    numbering = _read_numbering(document, warnings)
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(_paragraph_text(block, numbering))
        elif isinstance(block, Table):
            lines.extend(_table_lines(block))
    return lines


def _paragraph_text(paragraph: Paragraph, numbering: _Numbering) -> str:
    text = paragraph.text
    reference = _numbering_reference(paragraph)
    if reference is None or not text.strip():
        return text
    return numbering.label(*reference) + text.lstrip()


def _numbering_reference(paragraph: Paragraph) -> tuple[str, int] | None:
    """(numId, level) of a numbered paragraph: its own w:numPr, else its style's."""
    properties = paragraph._p.pPr
    num_pr = properties.find(qn("w:numPr")) if properties is not None else None
    style = paragraph.style if num_pr is None else None
    seen = 0
    while num_pr is None and style is not None and seen < 10:
        style_properties = style.element.find(qn("w:pPr"))
        num_pr = style_properties.find(qn("w:numPr")) if style_properties is not None else None
        style, seen = style.base_style, seen + 1
    if num_pr is None:
        return None
    num_id = num_pr.find(qn("w:numId"))
    level = num_pr.find(qn("w:ilvl"))
    if num_id is None or num_id.get(qn("w:val")) in (None, "0"):
        return None
    try:
        return num_id.get(qn("w:val")), int(level.get(qn("w:val"))) if level is not None else 0
    except (TypeError, ValueError):
        return None


def _read_numbering(document: WordDocument, warnings: list[str]) -> _Numbering:
    numbering = _Numbering()
    try:
        part = document.part.numbering_part
    except (KeyError, NotImplementedError):
        return numbering  # no numbering part: nothing is auto-numbered
    except Exception:  # a part that does not parse
        warnings.append("Word 自动编号信息无法读取，章、条编号可能缺失。")
        return numbering
    try:
        element = part.element
        abstract: dict[str, dict[int, _Level]] = {}
        for definition in element.findall(qn("w:abstractNum")):
            levels = {}
            for lvl in definition.findall(qn("w:lvl")):
                levels[int(lvl.get(qn("w:ilvl"), "0"))] = _level(lvl)
            abstract[definition.get(qn("w:abstractNumId"))] = levels
        for num in element.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            levels = dict(abstract.get(ref.get(qn("w:val")) if ref is not None else "", {}))
            for override in num.findall(qn("w:lvlOverride")):
                index = int(override.get(qn("w:ilvl"), "0"))
                start = override.find(qn("w:startOverride"))
                replacement = override.find(qn("w:lvl"))
                if replacement is not None:
                    levels[index] = _level(replacement)
                elif start is not None and index in levels:
                    base = levels[index]
                    levels[index] = _Level(int(start.get(qn("w:val"), "1")), base.number_format, base.text, base.suffix)
            numbering.levels[num.get(qn("w:numId"))] = levels
    except (TypeError, ValueError, AttributeError):
        warnings.append("Word 自动编号信息不完整，章、条编号可能缺失。")
        return _Numbering()
    return numbering


def _level(lvl) -> _Level:
    def value(tag: str, default: str) -> str:
        child = lvl.find(qn(tag))
        return child.get(qn("w:val"), default) if child is not None else default

    return _Level(int(value("w:start", "1")), value("w:numFmt", "decimal"), value("w:lvlText", ""), value("w:suff", "tab"))


def _table_lines(table: Table) -> list[str]:
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and text not in cells:  # merged cells repeat their text
                cells.append(text)
        if cells:
            lines.append(" ".join(cells))
    return lines
