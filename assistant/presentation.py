"""Answers as the chat page shows them: escaped text, each [n] a link to a citation card
that opens the full clause with its title, 文号, issuer, date and clause path.

Everything that came from a user or a document is HTML-escaped and Markdown-escaped
here, so neither a question nor a policy file can inject markup into the page.
"""

from __future__ import annotations

import html
import re
import urllib.parse

from assistant.citations import Citation
from assistant.layout import HEADING, ITEM, answer_blocks

# Markdown syntax that plain policy text must not trigger (emphasis, links, headings…).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$])")


def escape_text(text: str) -> str:
    """Plain text made inert for a Markdown + HTML renderer."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=True))


def escape_html(text: str) -> str:
    """Text for inside an HTML element: tags escaped, and Markdown syntax as character
    references, so a renderer that still looks for Markdown there finds none."""
    return _MARKDOWN_SPECIAL.sub(lambda m: f"&#{ord(m.group(1))};", html.escape(text or "", quote=True))


def card_id(key: str, n: int) -> str:
    return f"hq-cite-{key}-{n}"


def answer_markdown(
    text: str, citations: tuple[Citation, ...] | list[Citation] = (), key: str = "0", question: str = ""
) -> str:
    """The answer laid out (`assistant.layout`): the lead with the fact asked for in bold,
    lists as lists, [n] marks linked to the citation cards below it.

    `key` tells the cards of one answer from another's on the same page; `question` says
    which figures the lead should mark.

    Example:
        >>> answer_markdown("奖励<b>200万元</b>[1]", [], key="7")
        '奖励&lt;b&gt;<strong class="hq-fact">200万元</strong>&lt;/b&gt;\\\\[1\\\\]'
        >>> print(answer_markdown("标准：年营收超1亿元的，奖励10万元；超2亿元的，奖励20万元；超5亿元的，奖励50万元。"))
        标准：
        <BLANKLINE>
        - 年营收超1亿元的，奖励<strong class="hq-fact">10万元</strong>；
        - 超2亿元的，奖励<strong class="hq-fact">20万元</strong>；
        - 超5亿元的，奖励<strong class="hq-fact">50万元</strong>。
    """
    numbers = {c.n for c in citations}
    paragraphs: list[str] = []
    previous = ""
    for block in answer_blocks(text, question):
        rendered = re.sub(r"\\\[(\d+)\\\]", lambda m: _link(m, numbers, key), _marked(block.text, block.strong))
        if block.kind == ITEM:
            rendered = f"- {rendered}"
            if previous == ITEM:
                paragraphs[-1] += "\n" + rendered
                continue
        elif block.kind == HEADING:
            rendered = f"<strong>{rendered}</strong>"
        paragraphs.append(rendered)
        previous = block.kind
    body = "\n\n".join(paragraphs)
    if citations:
        repeated = _repeated_documents(citations)
        cards = "".join(citation_card(c, key, c.doc_id in repeated) for c in citations)
        body += f'\n\n<div class="hq-cites"><div class="hq-cites-title">引用条款</div>{cards}</div>'
    return body


def _marked(text: str, strong: tuple[tuple[int, int], ...]) -> str:
    """`text` escaped, its `strong` spans in bold (HTML: Markdown's ** does not close after
    a % followed by a letter, as in "40%以上")."""
    out, at = [], 0
    for start, end in strong:
        out.append(escape_text(text[at:start]))
        out.append(f'<strong class="hq-fact">{escape_text(text[start:end])}</strong>')
        at = end
    out.append(escape_text(text[at:]))
    return "".join(out)


def restored_messages(turns, replies: dict | None = None) -> tuple[list[dict], dict[int, int]]:
    """A stored conversation (`ConversationStore.session_turns`) as chat messages, each
    answer with its citation cards and, after it, the help desk's reply when there is
    one (`replies` by turn id), so a reloaded page shows what was said; and the message
    index of each answer's turn id (what 👍/👎 refer to)."""
    messages: list[dict] = []
    turn_ids: dict[int, int] = {}
    for index, turn in enumerate(turns):
        citations = [Citation(**c) for c in turn.citations]
        messages.append({"role": "user", "content": escape_text(turn.question)})
        turn_ids[len(messages)] = turn.turn_id
        messages.append(
            {"role": "assistant", "content": answer_markdown(turn.answer, citations, f"r{index}", turn.question)}
        )
        reply = (replies or {}).get(turn.turn_id)
        if reply is not None:
            messages.append({"role": "assistant", "content": reply_markdown(reply.label, reply.text)})
    return messages, turn_ids


def reply_markdown(label: str, text: str) -> str:
    """The help desk's reply to a question, with who replied and when; plain text, escaped."""
    return f'<div class="hq-reply-label">{escape_html(label)}</div>\n\n{answer_markdown(text)}'


def _link(match: re.Match, numbers: set[int], key: str) -> str:
    n = int(match.group(1))
    if n not in numbers:
        return match.group(0)
    return f'<a class="hq-ref" href="#{card_id(key, n)}" data-cite="{card_id(key, n)}">[{n}]</a>'


def citation_card(citation: Citation, key: str, name_the_clause: bool = False) -> str:
    """One collapsible card: the source once (title, 文号, issuer, date, region, clause path),
    the clause with the quoted words marked, and a link to the whole document at the
    clause. HTML without blank lines, so Markdown leaves it alone. With `name_the_clause`
    (several cards of one document) the summary names the clause too.

    Example:
        >>> c = Citation(2, "d", "甘井子区总部经济扶持办法", "", "", "", "", "d:2", "第一条 基础条件 > （二）具有独立法人资格、健全的财务制度", "", "")
        >>> "<summary>[2] 《甘井子区总部经济扶持办法》 （二）具有独立法人资格、健全…</summary>" in citation_card(c, "0", True)
        True
    """
    e = escape_html
    facts = " · ".join(e(v) for v in (citation.doc_number, citation.issuer, citation.date, citation.region) if v)
    if citation.term:
        term = f'<span class="hq-expired">{citation.term}（已过期）</span>' if citation.expired else citation.term
        facts = f"{facts} · {term}" if facts else term
    source = document_link(citation.doc_id, citation.clause_id)
    label = f" {e(clause_label(citation.clause_path))}" if name_the_clause else ""
    return (
        f'<details class="hq-cite" id="{card_id(key, citation.n)}">'
        f'<summary>[{citation.n}] 《{e(citation.title)}》{label}</summary>'
        f'<div class="hq-meta">{facts}</div>'
        f'<div class="hq-path">条款：{e(citation.clause_path)}</div>'
        f'<div class="hq-clause">{_marked_clause(citation.text, citation.quote)}</div>'
        f'<a class="hq-source" href="{source}" target="_blank" rel="noopener">查看原文</a>'
        "</details>"
    )


CLAUSE_LABEL_CHARS = 14


def clause_label(path: str) -> str:
    """The last part of a clause's path, cut short: what tells clauses of one document apart."""
    last = path.rsplit(" > ", 1)[-1].strip()
    return last if len(last) <= CLAUSE_LABEL_CHARS else last[:CLAUSE_LABEL_CHARS].rstrip("，,、；;") + "…"


def _repeated_documents(citations) -> set[str]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for citation in citations:
        (repeated if citation.doc_id in seen else seen).add(citation.doc_id)
    return repeated


def document_link(doc_id: str, clause_id: str = "") -> str:
    """The document page's address, at the clause when one is given.

    Example:
        >>> document_link("zz-2023-12h-3f1a", "zz-2023-12h-3f1a:2.1~1")
        '/documents/zz-2023-12h-3f1a#zz-2023-12h-3f1a:2.1~1'
    """
    link = "/documents/" + urllib.parse.quote(doc_id, safe="")
    return link + ("#" + urllib.parse.quote(clause_id, safe=":~.@-_") if clause_id else "")


def _marked_clause(text: str, quote: str) -> str:
    """The clause's text, escaped, line breaks kept (blank lines dropped), the quote
    inside it marked."""
    text = re.sub(r"\n\s*\n+", "\n", text.strip())
    at = text.find(quote) if quote else -1
    if at < 0:
        html_text = escape_html(text)
    else:
        before, marked, after = text[:at], text[at : at + len(quote)], text[at + len(quote) :]
        html_text = f'{escape_html(before)}<mark class="hq-mark">{escape_html(marked)}</mark>{escape_html(after)}'
    return html_text.replace("\n", "<br>")
