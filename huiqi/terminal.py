"""How the command line shows things in a terminal: ingest reports, search hits,
answers with their cited clauses, and the interactive chat."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer

from assistant.answer.base import Answer
from assistant.errors import QuestionRejected
from assistant.service import Assistant, Retrieval
from knowledge.index import IngestReport

SNIPPET_CHARS = 120


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress callback `(done, total)` drawing a bar on stderr once there is work."""
    from tqdm import tqdm

    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None and total:
            bar = tqdm(total=total, desc=description, unit="条", file=sys.stderr, disable=None)
        if bar is not None:
            bar.n = done
            bar.refresh()

    try:
        yield progress
    finally:
        if bar is not None:
            bar.close()


def print_ingest_report(report: IngestReport) -> None:
    for doc_id, name, chunks in report.added:
        typer.echo(f"新增  {doc_id}（{name}）：{chunks} 条")
    for doc_id, name, chunks in report.updated:
        typer.echo(f"更新  {doc_id}（{name}）：{chunks} 条")
    for doc_id, name in report.unchanged:
        typer.echo(f"未变  {doc_id}（{name}）")
    for _, message in report.rejected:
        typer.secho(f"拒绝  {message}", fg=typer.colors.YELLOW, err=True)
    for name, message in report.warnings:
        typer.secho(f"提示  {name}：{message}", fg=typer.colors.YELLOW, err=True)
    typer.echo(
        f"完成：新增 {len(report.added)}、更新 {len(report.updated)}、未变 {len(report.unchanged)}、"
        f"拒绝 {len(report.rejected)}，共 {report.chunks} 条新条款，用时 {report.seconds:.1f} 秒。"
    )


def hit_rows(retrieval: Retrieval) -> list[dict]:
    """The hits as `huiqi search --json` rows, most relevant first."""
    return [
        {
            "rank": rank, "score": round(hit.score, 6), "relevance": round(hit.scores.get("relevance", 0.0), 4),
            "doc_id": hit.document.doc_id, "title": hit.document.title, "region": hit.document.region,
            "clause_id": hit.clause.clause_id, "clause_path": hit.clause.clause_path, "text": hit.clause.text,
        }
        for rank, hit in enumerate(retrieval.hits, 1)
    ]


def print_hits(retrieval: Retrieval, threshold: float) -> None:
    """Each hit with its relevance, title, region, clause path and the start of its text,
    then why nothing was searched (a place not covered, a place name to make precise)."""
    rows = hit_rows(retrieval)
    for text, candidates in retrieval.ambiguous:
        typer.secho(f"“{text}”在多个地方都有：{'、'.join(candidates)}，请用 --region 指明。", fg=typer.colors.YELLOW)
    if retrieval.uncovered_regions:
        typer.secho(f"知识库暂未收录{'、'.join(retrieval.uncovered_regions)}的政策文件。", fg=typer.colors.YELLOW)
    if not rows:
        typer.echo("没有找到相关条款。")
        return
    for row in rows:
        snippet = row["text"].replace("\n", " ")
        snippet = snippet if len(snippet) <= SNIPPET_CHARS else snippet[: SNIPPET_CHARS - 1] + "…"
        typer.echo(f"[{row['rank']}] 相关度 {row['relevance']:.3f}  {row['title']}（{row['region']}）\n"
                   f"    {row['clause_path']}\n    {snippet}\n")
    typer.echo(f"拒答阈值：相关度 < {threshold:.3f}。")


def print_citations(answer: Answer) -> None:
    if not answer.citations:
        return
    typer.echo("\n引用条款：")
    for c in answer.citations:
        source = " · ".join(part for part in (c.doc_number, c.issuer, c.date, c.region) if part)
        typer.secho(f"[{c.n}] 《{c.title}》 {source}", bold=True)
        typer.echo(f"    {c.clause_path}")
        for line in c.text.splitlines():
            typer.echo(f"    {line}")


def print_suggestions(answer: Answer) -> None:
    if answer.suggestions:
        typer.echo("\n可以接着问：")
        for question in answer.suggestions:
            typer.echo(f"  · {question}")


def chat_loop(assistant: Assistant, region: str | None, session: str | None) -> None:
    """Read questions until /quit or end of input, streaming each answer as it is written."""
    typer.echo("惠企政策助手：请输入您的问题（/new 新会话，/quit 退出）。")
    while True:
        try:
            line = input("\n问> ")
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            return
        if line.strip() in ("/quit", "/exit"):
            return
        if line.strip() == "/new":
            session = None
            typer.echo("已开始新会话。")
            continue
        try:
            session = _stream_answer(assistant, line, region, session)
        except QuestionRejected as exc:
            typer.secho(f"错误：{exc}", fg=typer.colors.RED, err=True)


def _stream_answer(assistant: Assistant, question: str, region: str | None, session: str | None) -> str | None:
    """Print the answer as it streams, then its citations; the session it was recorded in."""
    streamed = []
    for event in assistant.stream(question, session_id=session, region=region):
        if isinstance(event, Answer):
            session = event.session_id
            if event.text != "".join(streamed):
                typer.secho("\n" + (event.notice or "（回答已更正）"), fg=typer.colors.YELLOW)
                typer.echo(event.text)
            print_citations(event)
            print_suggestions(event)
        else:
            streamed.append(event)
            sys.stdout.write(event)
            sys.stdout.flush()
    return session
