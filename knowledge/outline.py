"""Clause-aware chunking: parse the outline of a Chinese policy document into clauses.

Headings nest as 第X章 / 第X条, 一、 / (一) / 1. / (1), plus ★ sections and short
title lines in newsletters; "一是…二是…" runs inside a paragraph become clauses of
their own. Nesting follows the order in which marker kinds appear, so a document that
starts at (一) nests the same way as one that starts at 一、.

Every clause keeps `start`/`end` offsets into the document text, and its id is built
from the outline numbers (`doc:2.1.4`, `doc:1.s2`), so re-ingesting the same text gives
the same ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from knowledge.lines import closing_start, is_date_line, is_org_line, marker_view, starts_with_marker
from knowledge.models import Clause, PolicyDocument
from knowledge.text import SENTENCE_END, chinese_number, count_tokens, sentence_bounds

DEFAULT_MAX_TOKENS = 400
_CN = "一二三四五六七八九十"
_KINDS = (
    ("chapter", re.compile(r"^第([一二三四五六七八九十百零〇\d]+)章")),
    ("section", re.compile(r"^第([一二三四五六七八九十百零〇\d]+)节")),
    ("article", re.compile(r"^第([一二三四五六七八九十百零〇\d]+)条")),
    ("cn", re.compile(r"^([一二三四五六七八九十百零〇]+)、")),
    ("pcn", re.compile(r"^[（(]\s*([一二三四五六七八九十]+)\s*[）)]")),
    ("num", re.compile(r"^(\d{1,2})\s*[.、．](?!\d)")),
    ("pnum", re.compile(r"^[（(]\s*(\d{1,2})\s*[）)]")),
    ("star", re.compile(r"^[★☆●■◆]()")),
)
_TOP_KINDS = ("chapter", "section")
_ID_PREFIX = {"chapter": "ch", "section": "se", "article": "art"}
_RUN_MARKER = re.compile(r"(?:^|(?<=[。；;！？!?：:\n]))\s*([一二三四五六七八九十]{1,2})是")
_LABEL_END = re.compile(r"[。；;：:]")
_MAX_LABEL = 40
_ATTACHMENTS = re.compile(r"^附件\s*[：:]")


@dataclass
class _Heading:
    kind: str
    label: str
    segment: str
    line: int
    inline_body: bool
    label_lines: int = 1


@dataclass
class _Region:
    path: tuple[str, ...]
    ids: tuple[str, ...]
    start: int
    end: int


def parse_clauses(document: PolicyDocument, max_tokens: int = DEFAULT_MAX_TOKENS) -> list[Clause]:
    """Split a document into clauses, in document order.

    Example:
        >>> doc = PolicyDocument("d", "示例", "一、总则\\n（一）适用范围。本办法适用于全市。")
        >>> [(c.clause_id, c.clause_path) for c in parse_clauses(doc)]
        [('d:1.1', '一、总则 > （一）适用范围')]
    """
    if max_tokens < 20:
        raise ValueError(f"max_tokens must be >= 20, got {max_tokens}")
    text = document.text
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    closing = closing_start(lines)
    headings = _headings(lines[:closing])

    regions: list[_Region] = []
    first_heading = headings[0].line if headings else closing
    if first_heading > 0:
        regions.append(_Region(("引言",), ("intro",), 0, offsets[first_heading] - 1))
    stack: list[_Heading] = []
    for index, heading in enumerate(headings):
        kinds = [h.kind for h in stack]
        if heading.kind in kinds:
            del stack[kinds.index(heading.kind):]
        elif heading.kind in _TOP_KINDS:
            # A chapter or section never nests under an article or an item before it.
            rank = _TOP_KINDS.index(heading.kind)
            while stack and not (stack[-1].kind in _TOP_KINDS and _TOP_KINDS.index(stack[-1].kind) < rank):
                stack.pop()
        stack.append(heading)
        next_line = headings[index + 1].line if index + 1 < len(headings) else closing
        has_body = heading.inline_body or next_line > heading.line + heading.label_lines
        is_leaf = index + 1 == len(headings) or _leaves_subtree(headings[index + 1], stack)
        if has_body or is_leaf:
            regions.append(_Region(
                tuple(h.label for h in stack), tuple(h.segment for h in stack),
                offsets[heading.line], offsets[next_line] - 1,
            ))
    if closing < len(lines):
        regions.append(_Region(("落款",), ("end",), offsets[closing], len(text)))

    clauses: list[Clause] = []
    used: set[str] = set()
    for region in regions:
        for path, ids, start, end in _split_runs(text, region):
            pieces = _split_long(text, start, end, max_tokens)
            for piece, (p_start, p_end) in enumerate(pieces, 1):
                suffix = f"~{piece}" if len(pieces) > 1 else ""
                clause_id = _unique(f"{document.doc_id}:{'.'.join(ids)}{suffix}", used)
                clauses.append(Clause(
                    clause_id=clause_id, doc_id=document.doc_id, clause_path=" > ".join(path),
                    text=text[p_start:p_end], start=p_start, end=p_end, ordinal=len(clauses),
                ))
    return _cover_gaps(text, clauses, max_tokens)


def _cover_gaps(text: str, clauses: list[Clause], max_tokens: int) -> list[Clause]:
    """Nothing is lost: text between two clauses (a heading with no body of its own, a
    label before 一是…) opens the clause after it, or stands as a clause of its own when
    that would break the token budget; text after the last clause closes it."""
    covered: list[Clause] = []
    used = {c.clause_id for c in clauses}
    previous_end = 0
    for clause in clauses:
        gap = text[previous_end:clause.start]
        if gap.strip():
            start = previous_end + len(gap) - len(gap.lstrip())
            if count_tokens(text[start:clause.end]) <= max_tokens:
                clause = replace(clause, start=start, text=text[start:clause.end])
            else:
                end = _rstrip(text, start, clause.start)
                path = clause.clause_path.rsplit(" > ", 1)[0]
                covered.append(replace(
                    clause, clause_id=_unique(f"{clause.clause_id}~h", used), clause_path=path,
                    text=text[start:end], start=start, end=end,
                ))
        covered.append(clause)
        previous_end = max(previous_end, clause.end)
    if covered and text[previous_end:].strip():
        last = covered[-1]
        end = _rstrip(text, last.start, len(text))
        covered[-1] = replace(last, end=end, text=text[last.start:end])
    return [replace(c, ordinal=n) for n, c in enumerate(covered)]


def _headings(lines: list[str]) -> list[_Heading]:
    headings: list[_Heading] = []
    sibling_counts: dict[str, int] = {}
    index = 0
    attachments = False
    while index < len(lines):
        line = lines[index]
        heading = _marked_heading(line)
        # "附件：" then "1.…办法" "2.…细则": the titles of attached files, listed in the
        # clause before them, not clauses of their own under it.
        if attachments and heading is not None and heading.kind in ("num", "pnum") \
                and not line.rstrip().endswith(tuple(SENTENCE_END)):
            index += 1
            continue
        attachments = bool(_ATTACHMENTS.match(line.strip()))
        if heading is None:
            span = _title_lines(lines, index)
            if span:
                label = "".join(lines[index:index + span])
                heading = _Heading("title", _short(label), "", index, False, span)
        if heading is None:
            index += 1
            continue
        heading.line = index
        if not heading.segment:
            count = sibling_counts[heading.kind] = sibling_counts.get(heading.kind, 0) + 1
            if heading.kind == "star":
                sibling_counts["title"] = 0
            heading.segment = f"h{count}" if heading.kind == "star" else f"t{count}"
        headings.append(heading)
        index += heading.label_lines
    return headings


def _marked_heading(line: str) -> _Heading | None:
    line = marker_view(line)
    if not starts_with_marker(line):
        return None
    for kind, pattern in _KINDS:
        match = pattern.match(line)
        if not match:
            continue
        number = match.group(1)
        segment = "" if kind == "star" else f"{_ID_PREFIX.get(kind, '')}{chinese_number(number)}"
        label_end = _LABEL_END.search(line)
        label = line[: label_end.start()] if label_end else line
        inline_body = bool(label_end) and len(line) - label_end.end() > 0
        if kind == "star":
            label = label[1:]
        return _Heading(kind, _short(re.sub(r"\s+", "", label)), segment, 0, inline_body)
    return None


def _title_lines(lines: list[str], index: int) -> int:
    """How many lines (1 or 2) form an unnumbered title here; 0 if none.

    A newsletter item title is a short line without end punctuation, sometimes wrapped
    onto a second short line, followed by a body paragraph.
    """
    def short(line: str) -> bool:
        return (
            len(line) <= 30
            and not line.endswith(tuple(SENTENCE_END) + (":", "：", ",", "，", "、"))
            and not starts_with_marker(line)
            and not is_date_line(line)
            and not is_org_line(line)
        )

    def body(line: str) -> bool:
        return len(line) > 30 or line.endswith(tuple(SENTENCE_END))

    for span in (1, 2):
        if index + span >= len(lines):
            return 0
        if not all(short(line) for line in lines[index:index + span]):
            return 0
        if body(lines[index + span]):
            return span
    return 0


def _leaves_subtree(heading: _Heading, stack: list[_Heading]) -> bool:
    """True when `heading` is a sibling or an ancestor's sibling of the top of `stack`,
    i.e. the top heading has no children and is a leaf."""
    kinds = [h.kind for h in stack]
    if heading.kind in _TOP_KINDS:
        # A chapter closes every article and item open before it.
        return not any(k in _TOP_KINDS and _TOP_KINDS.index(k) < _TOP_KINDS.index(heading.kind) for k in kinds[-1:])
    return heading.kind in kinds


def _split_runs(text: str, region: _Region):
    """Yield (path, ids, start, end) for a region, split at 一是/二是/… runs."""
    body = text[region.start:region.end]
    markers = []
    expected = 1
    for match in _RUN_MARKER.finditer(body):
        if chinese_number(match.group(1)) == expected:
            markers.append(match)
            expected += 1
    if len(markers) < 2:
        yield region.path, region.ids, region.start, region.end
        return
    lead_end = region.start + markers[0].start(1)
    lead = text[region.start:lead_end]
    if len(re.sub(r"\s", "", lead)) - _label_length(lead) >= 8:
        yield region.path, region.ids, region.start, _rstrip(text, region.start, lead_end)
    for number, match in enumerate(markers, 1):
        start = region.start + match.start(1)
        end = region.start + markers[number].start(1) if number < len(markers) else region.end
        yield (
            region.path + (f"{match.group(1)}是",),
            region.ids + (f"s{number}",),
            start,
            _rstrip(text, start, end),
        )


def _label_length(lead: str) -> int:
    first_line = lead.split("\n", 1)[0]
    if starts_with_marker(first_line) and not _LABEL_END.search(first_line):
        return len(re.sub(r"\s", "", first_line))
    return 0


def _split_long(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int]]:
    """Sentence-bounded pieces of text[start:end], each within `max_tokens`."""
    if count_tokens(text[start:end]) <= max_tokens:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    piece_start, piece_tokens = start, 0
    position = start
    for sentence_start, sentence_end in sentence_bounds(text, start, end):
        tokens = count_tokens(text[sentence_start:sentence_end])
        if piece_tokens and piece_tokens + tokens > max_tokens:
            pieces.append((piece_start, _rstrip(text, piece_start, sentence_start)))
            piece_start, piece_tokens = sentence_start, 0
        piece_tokens += tokens
        position = sentence_end
    pieces.append((piece_start, _rstrip(text, piece_start, max(position, end))))
    # A single sentence longer than the budget is cut by characters.
    out: list[tuple[int, int]] = []
    for p_start, p_end in pieces:
        while count_tokens(text[p_start:p_end]) > max_tokens and p_end - p_start > max_tokens // 2:
            cut = p_start + max_tokens // 2
            out.append((p_start, cut))
            p_start = cut
        out.append((p_start, p_end))
    return [(s, e) for s, e in out if e > s]


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in " \n":
        end -= 1
    return end


def _short(label: str) -> str:
    return label if len(label) <= _MAX_LABEL else label[: _MAX_LABEL - 1] + "…"


def _unique(clause_id: str, used: set[str]) -> str:
    candidate, n = clause_id, 1
    while candidate in used:
        n += 1
        candidate = f"{clause_id}_{n}"
    used.add(candidate)
    return candidate
