"""Line-level reading of Chinese policy text: where the body starts and ends.

Government pages put a portal header above a document (索引号, 发布机构, the title,
the 文号) and a signature block, contact line and site footer below it. The metadata
extractor reads those; the outline parser needs to know where they are.
"""

from __future__ import annotations

import re

from knowledge.text import SENTENCE_END

BULLETS = ("•", "·", "▪")
OUTLINE_MARKER = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇\d]+[章条节]|[一二三四五六七八九十百零〇]+、|"
    r"[（(]\s*[一二三四五六七八九十]+\s*[）)]|\d{1,2}\s*[.、．](?!\d)|[（(]\s*\d{1,2}\s*[）)]|[★☆●■◆])"
)
# Text copied from PDFs puts spaces inside markers ("第 1 1 条", "二 、支持范围"); the
# outline reads markers from this squeezed view, while quotes keep the original text.
_MARKER_PREFIX = re.compile(r"^[\s第一二三四五六七八九十百零〇\d（(）)章条节、.．]{1,16}")


def marker_view(line: str) -> str:
    """`line` with white space inside its leading outline marker removed (for parsing).

    Example:
        >>> marker_view("第 1 1 条 支持范围"), marker_view("二 、支持范围")
        ('第11条支持范围', '二、支持范围')
    """
    match = _MARKER_PREFIX.match(line)
    if not match or not any(ch.isspace() for ch in match.group(0)):
        return line
    return re.sub(r"\s+", "", match.group(0)) + line[match.end():]


def starts_with_marker(line: str) -> bool:
    """Whether `line` opens with an outline marker (第X条, 一、, (一), 1., ★…)."""
    return bool(OUTLINE_MARKER.match(marker_view(line)))


DOC_NUMBER = re.compile(r"[\u4e00-\u9fa5]{1,12}\s*[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*\d{1,4}\s*号")
DATE_LINE = re.compile(
    r"^(?:(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|(?:19|20)\d{2}[-./]\d{1,2}[-./]\d{1,2}|"
    r"[一二三四五六七八九〇零○]{4}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日)$"
)
ORG_SUFFIX = re.compile(
    r"(?:局|委员会|委|办公室|办|人民政府|政府|中心|厅|部|院|协会|商会|联合会|处|小组|公司|银行|管委会)$"
)
GREETING = re.compile(r"^[^。；;，,]{1,30}[:：]$")
FOOTER = re.compile(r"^(?:主办单位|承办单位|主办|版权所有|网站标识码|技术支持|网站地图|ICP备|京ICP|豫ICP|浙ICP)")
PORTAL_NOISE = re.compile(
    r"^(?:朗读|分享|打印|关闭|收藏|字号|【?[大中小]】?|浏览量|公开方式|主动公开|解决类别|"
    r"日期[:：].*来源|来源[:：]|发布时间[:：]|扫一扫)"
)
CLOSING_START = re.compile(r"^(?:再次感谢|特此|此复|感谢您|联系人|联系电话|联系方式|电话[:：]|抄送|（此件|\(此件)")


def is_org_line(line: str) -> bool:
    """A short line naming an organization, as in a signature block."""
    return len(line) <= 30 and not any(p in line for p in "。，,；;：:") and bool(ORG_SUFFIX.search(line))


def is_date_line(line: str) -> bool:
    return bool(DATE_LINE.match(line.replace(" ", "")))


def is_title_like(line: str) -> bool:
    """Short, no sentence punctuation at its end, not an outline item or greeting."""
    return (
        len(line) <= 60
        and not line.endswith(tuple(SENTENCE_END) + (":", "：", ",", "，"))
        and not starts_with_marker(line)
        and not is_date_line(line)
    )


def header_end(lines: list[str]) -> int:
    """Index of the first body line: after the portal header, title and 文号 lines."""
    start = 0
    for index, line in enumerate(lines):
        after_label = index > 0 and lines[index - 1].startswith(BULLETS) and lines[index - 1].endswith((":", "："))
        if line.startswith(BULLETS) or after_label or PORTAL_NOISE.match(line) or DOC_NUMBER.fullmatch(line):
            start = index + 1
        elif GREETING.match(line) or starts_with_marker(line):
            break
        elif is_title_like(line) and index + 1 < len(lines):
            start = index + 1
        else:
            break
    return start


def footer_start(lines: list[str], start: int = 0) -> int:
    """Index of the first line of the site footer (主办单位… 网站标识码…) at the end."""
    footer = len(lines)
    while footer > start and FOOTER.match(lines[footer - 1]):
        footer -= 1
    return footer


def closing_start(lines: list[str], start: int = 0) -> int:
    """Index of the first line of the closing block: thanks, contact, signature, date.

    It is kept in the text (it answers "who to contact") but is not part of the last
    outline item.
    """
    closing = len(lines)
    while closing > start + 1:
        line = lines[closing - 1]
        if is_date_line(line) or is_org_line(line) or (CLOSING_START.match(line) and len(line) <= 80):
            closing -= 1
        else:
            break
    return closing


def body_bounds(lines: list[str]) -> tuple[int, int, int]:
    """(body_start, closing_start, footer_start) line indexes of a whole document."""
    start = header_end(lines)
    footer = footer_start(lines, start)
    return start, closing_start(lines[:footer], start), footer
