"""HTML pages from government sites: keep the document body, drop navigation and
boilerplate, and read the metadata table (索引号 / 发布机构 / 成文日期 / 文号) above it."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

from knowledge.text import FIELD_LABELS

_DROP_TAGS = (
    "script", "style", "noscript", "iframe", "nav", "header", "footer", "aside", "form",
    "button", "select", "input", "textarea", "svg", "canvas", "object", "embed", "template",
)
_BOILERPLATE = re.compile(
    r"nav|menu|breadcrumb|crumb|footer|header|share|sidebar|side-bar|toolbar|copyright|"
    r"login|search|banner|friend-?link|related|recommend|print|qrcode|position|location",
    re.I,
)
_BODY_HINT = re.compile(r"content|article|zoom|trs_?editor|detail|main|text|body|wenzhang|zw", re.I)
_BLOCK_TAGS = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
    "article", "dd", "dt", "ul", "ol", "blockquote", "pre", "main",
}
_LABEL = re.compile(r"^\s*(%s)\s*[:：]?\s*(.*)$" % "|".join(sorted(FIELD_LABELS, key=len, reverse=True)), re.S)


def parse_html(html: str) -> tuple[str, dict[str, str]]:
    """Return (body text with one block per line, metadata fields)."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    page_title = _page_title(soup)
    fields = _read_metadata(soup)
    for tag in soup.find_all(True):
        if tag.decomposed:
            continue
        marker = " ".join([tag.get("id") or ""] + list(tag.get("class") or []))
        if marker.strip() and _BOILERPLATE.search(marker) and not _BODY_HINT.search(marker):
            tag.decompose()
    body = _body_element(soup)
    heading = body.find("h1") or soup.find("h1")
    if "title" not in fields:
        if heading and heading.get_text(strip=True):
            fields["title"] = heading.get_text(" ", strip=True)
        elif page_title:
            fields["title"] = page_title
    return _block_text(body), fields


def _page_title(soup: BeautifulSoup) -> str:
    if not soup.title or not soup.title.string:
        return ""
    # "标题_某某市人民政府" -> "标题": sites append their own name.
    return re.split(r"\s*[_|｜]\s*|\s+-\s+", soup.title.string.strip())[0]


def _read_metadata(soup: BeautifulSoup) -> dict[str, str]:
    fields: dict[str, str] = {}
    containers: list[Tag] = []
    for node in list(soup.find_all(string=_LABEL)):
        match = _LABEL.match(str(node))
        if not match:
            continue
        key = FIELD_LABELS[match.group(1)]
        value = match.group(2).strip()
        cell = node.parent
        if not value and cell is not None:
            value = _next_value(cell)
        # A label that is really the start of a body sentence is long; skip it.
        if not value or len(value) > 80 or key in fields:
            continue
        fields[key] = value
        container = cell.find_parent(["table", "dl", "ul"]) if cell is not None else None
        if container is not None and container not in containers:
            containers.append(container)
    for container in containers:
        labels = container.find_all(string=_LABEL)
        if len(labels) >= 2 and not container.decomposed:
            container.decompose()
    return fields


def _next_value(cell: Tag) -> str:
    """The value of a label cell: the next cell or element with text."""
    for sibling in cell.next_siblings:
        text = sibling.get_text(" ", strip=True) if isinstance(sibling, Tag) else str(sibling).strip()
        if text:
            return text
    parent = cell.parent
    if parent is not None and parent.name not in ("tr", "table", "body"):
        return _next_value(parent)
    return ""


def _body_element(soup: BeautifulSoup) -> Tag:
    candidates = [
        tag for tag in soup.find_all(["div", "article", "section", "td", "main"])
        if _BODY_HINT.search(" ".join([tag.get("id") or ""] + list(tag.get("class") or [])))
    ]
    candidates += soup.find_all(["article", "main"])
    if candidates:
        return max(candidates, key=lambda tag: len(tag.get_text(strip=True)))
    return soup.body or soup


def _block_text(root: Tag) -> str:
    parts: list[str] = []

    def walk(node) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child) is NavigableString:  # skip comments, CDATA, doctype
                    parts.append(str(child).replace("\n", " "))
            elif isinstance(child, Tag):
                block = child.name in _BLOCK_TAGS
                if block:
                    parts.append("\n")
                if child.name in ("td", "th"):
                    parts.append(" ")
                walk(child)
                if block:
                    parts.append("\n")

    walk(root)
    return "".join(parts)
