"""The `huiqi` command line: ingest, manage and search the knowledge base."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from assistant.config import Settings
from assistant.errors import AssistantError, QuestionRejected
from knowledge.errors import KnowledgeError

app = typer.Typer(help="惠企：惠企政策问答助手", no_args_is_help=True, add_completion=False)
docs_app = typer.Typer(help="管理已入库的政策文件", no_args_is_help=True)
app.add_typer(docs_app, name="docs")


def _fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def handles_errors(command):
    """Turn domain errors into a Chinese message and a non-zero exit, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except QuestionRejected as exc:
            _fail(f"错误：{exc}", code=2)
        except (KnowledgeError, AssistantError) as exc:
            _fail(f"错误：{exc}")
        except ValueError as exc:
            _fail(f"参数错误：{exc}", code=2)
        except SQLAlchemyError as exc:
            _fail(f"错误：无法使用数据库（{type(exc).__name__}），请检查 HUIQI_DATABASE_URL 与数据库服务是否可用。")

    return wrapper


def _open_kb(rebuild: bool = False):
    from knowledge.index import KnowledgeBase

    return KnowledgeBase.open(Settings().knowledge_config(), rebuild=rebuild)


def _print_json(value) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


@app.command()
@handles_errors
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="文件或目录；默认为内置政策文件")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="清空索引后全部重建（更换向量模型后使用）")] = False,
) -> None:
    """把政策文件切分为条款并建立索引（重复运行只处理有变化的文件）。"""
    from tqdm import tqdm

    kb = _open_kb(rebuild=rebuild)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None and total:
            bar = tqdm(total=total, desc="向量化条款", unit="条", file=sys.stderr, disable=None)
        if bar is not None:
            bar.n = done
            bar.refresh()

    report = kb.ingest(paths or None, on_progress=progress)
    if bar is not None:
        bar.close()
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
    if report.rejected:
        raise typer.Exit(1)


@docs_app.command("list")
@handles_errors
def docs_list(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """列出已入库的文件。"""
    documents = _open_kb().documents()
    if as_json:
        _print_json([d.as_json() for d in documents])
        return
    if not documents:
        typer.echo("知识库为空。运行 `huiqi ingest` 导入内置政策文件。")
    for d in documents:
        number = f" {d.doc_number}" if d.doc_number else ""
        typer.echo(f"{d.doc_id}\t{d.title}{number}\t{d.issuer or '—'}\t{d.date or '—'}\t{d.region}\t{d.chunks} 条")


@docs_app.command("remove")
@handles_errors
def docs_remove(doc_id: Annotated[str, typer.Argument(help="文件编号（见 docs list）")]) -> None:
    """从知识库删除一个文件及其全部条款。"""
    document = _open_kb().remove(doc_id)
    typer.echo(f"已删除 {document.doc_id}（{document.title}），共 {document.chunks} 条。")


@app.command()
@handles_errors
def search(
    question: Annotated[str, typer.Argument(help="问题或关键词")],
    k: Annotated[int, typer.Option("--k", help="返回条数")] = 5,
    region: Annotated[str | None, typer.Option("--region", help="只检索该地区的文件")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """只做检索（命中测试）：列出与问题最相关的条款。"""
    from assistant.retrieval import HybridRetriever, RetrievalFilters

    if not question.strip():
        _fail("问题不能为空。", code=2)
    if k <= 0:
        _fail(f"--k 必须大于 0，当前为 {k}。", code=2)
    retriever = HybridRetriever(kb=_open_kb(), k=k)
    filters = RetrievalFilters(regions=(region,)) if region else None
    hits = retriever.retrieve(question, filters=filters)
    rows = [
        {
            "rank": rank, "score": round(hit.score, 6), "doc_id": hit.document.doc_id,
            "title": hit.document.title, "region": hit.document.region,
            "clause_id": hit.clause.clause_id, "clause_path": hit.clause.clause_path, "text": hit.clause.text,
        }
        for rank, hit in enumerate(hits, 1)
    ]
    if as_json:
        _print_json(rows)
        return
    if not rows:
        typer.echo("没有找到相关条款。")
    for row in rows:
        snippet = row["text"].replace("\n", " ")
        snippet = snippet if len(snippet) <= 120 else snippet[:119] + "…"
        typer.echo(f"[{row['rank']}] {row['title']}（{row['region']}）\n    {row['clause_path']}\n    {snippet}\n")


def _open_assistant():
    from assistant.service import Assistant

    settings = Settings()
    return Assistant.open(settings)


def _print_citations(answer) -> None:
    if not answer.citations:
        return
    typer.echo("\n引用条款：")
    for c in answer.citations:
        source = " · ".join(part for part in (c.doc_number, c.issuer, c.date, c.region) if part)
        typer.secho(f"[{c.n}] 《{c.title}》 {source}", bold=True)
        typer.echo(f"    {c.clause_path}")
        for line in c.text.splitlines():
            typer.echo(f"    {line}")


@app.command()
@handles_errors
def ask(
    question: Annotated[str, typer.Argument(help="要咨询的政策问题")],
    region: Annotated[str | None, typer.Option("--region", help="企业所在地区，如 郑州市、温县")] = None,
    session: Annotated[str | None, typer.Option("--session", help="会话编号；同一编号的多次提问可以追问")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """回答一个政策问题，并列出所依据的条款原文。"""
    assistant = _open_assistant()
    answer = assistant.ask(question, session_id=session, region=region)
    if as_json:
        _print_json(answer.as_json())
        return
    if answer.standalone_question != answer.question:
        typer.secho(f"（按上下文理解为：{answer.standalone_question}）", dim=True)
    typer.echo(answer.text)
    if answer.notice:
        typer.secho(answer.notice, fg=typer.colors.YELLOW)
    _print_citations(answer)


@app.command()
@handles_errors
def chat(
    region: Annotated[str | None, typer.Option("--region", help="企业所在地区")] = None,
    session: Annotated[str | None, typer.Option("--session", help="接着某个会话继续聊")] = None,
) -> None:
    """交互式问答：逐字输出回答并列出引用条款。输入 /new 开始新会话，/quit 退出。"""
    from assistant.answer.base import Answer

    assistant = _open_assistant()
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
            streamed = []
            for event in assistant.stream(line, session_id=session, region=region):
                if isinstance(event, Answer):
                    session = event.session_id
                    if event.text != "".join(streamed):
                        typer.secho("\n" + (event.notice or "（回答已更正）"), fg=typer.colors.YELLOW)
                        typer.echo(event.text)
                    _print_citations(event)
                else:
                    streamed.append(event)
                    sys.stdout.write(event)
                    sys.stdout.flush()
        except QuestionRejected as exc:
            typer.secho(f"错误：{exc}", fg=typer.colors.RED, err=True)



@app.command()
@handles_errors
def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口")] = 7860,
    workers: Annotated[int, typer.Option("--workers", help="工作进程数；多于 1 个时需配置 Chroma 服务", min=1)] = 1,
) -> None:
    """启动网页（/）、帮办控制台（/console）、网站挂件（/widget.js）与接口（/api、/docs）。"""
    import uvicorn

    from ui.app import create_app

    settings = Settings()
    token = settings.admin_token.get_secret_value() if settings.admin_token else ""
    if token and len(token) < MIN_PUBLIC_TOKEN_CHARS and not _is_loopback(host):
        raise ValueError(
            f"管理令牌太短（{len(token)} 个字符）。对外提供服务（--host {host}）时，HUIQI_ADMIN_TOKEN 至少 "
            f"{MIN_PUBLIC_TOKEN_CHARS} 个字符，可用 `python -c \"import secrets; print(secrets.token_urlsafe(24))\"` 生成。"
        )
    if workers > 1 and not settings.chroma_url:
        raise ValueError(
            "多个工作进程不能共用内嵌向量库：请用 `chroma run` 启动 Chroma 服务并设置 HUIQI_CHROMA_URL"
            "（多台机器时还需 HUIQI_DATABASE_URL 指向 PostgreSQL）。"
        )
    # Opened here even with several workers: a wrong Chroma or database address is
    # reported once, in Chinese, before any worker starts.
    web = create_app(settings)
    documents = web.state.library.documents()
    if not documents:
        typer.secho("提示：知识库是空的，请先运行 `huiqi ingest` 导入政策文件。", fg=typer.colors.YELLOW, err=True)
    console = "已启用" if token else "未启用（未设置 HUIQI_ADMIN_TOKEN）"
    typer.echo(
        f"惠企政策助手：http://{host}:{port}/ （{len(documents)} 份文件，{sum(d.chunks for d in documents)} 条条款，"
        f"{workers} 个工作进程）\n"
        f"帮办控制台：/console {console}；接口文档：/docs；网站挂件：/widget.js"
    )
    if workers == 1:
        uvicorn.run(web, host=host, port=port, log_level="warning")
    else:
        del web
        uvicorn.run("ui.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="warning")


MIN_PUBLIC_TOKEN_CHARS = 16


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


eval_app = typer.Typer(help="评测：金标准问题上的检索、回答与拒答指标", invoke_without_command=True)
app.add_typer(eval_app, name="eval")


@eval_app.callback()
@handles_errors
def eval_run(
    ctx: typer.Context,
    report: Annotated[Path | None, typer.Option("--report", help="把 report.md、report.html、results.json 写到此目录")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    embedder: Annotated[list[str], typer.Option("--embedder", help="另加一个向量模型做检索消融（可多次）")] = [],  # noqa: B006
    thresholds: Annotated[Path | None, typer.Option("--thresholds", help="阈值文件，默认 evals/thresholds.toml")] = None,
) -> None:
    """在内置金标准问题上评测当前知识库；有指标低于阈值时退出码为 1。"""
    if ctx.invoked_subcommand is not None:
        return
    import tempfile

    from assistant.conversation import ConversationStore
    from assistant.service import Assistant
    from evals.report import below_thresholds, load_thresholds, write_report
    from evals.runner import evaluate, load_questions
    from knowledge.index import KnowledgeBase, KnowledgeConfig, bundled_policies

    settings = Settings()
    kb = _open_kb()
    store = ConversationStore("sqlite://")  # evaluation questions stay out of the help desk's log
    assistant = Assistant.open(settings, kb=kb, conversations=store)
    extra = {}
    with tempfile.TemporaryDirectory(prefix="huiqi-eval-") as scratch:
        for name in embedder:
            other_kb = KnowledgeBase.open(KnowledgeConfig(data_dir=Path(scratch) / name.replace(":", "_").replace("/", "_"), embedder=name))
            library = Path(settings.data_dir) / "documents"
            other_kb.ingest([bundled_policies(), *([library] if library.is_dir() else [])])
            other_store = ConversationStore("sqlite://")
            other_store.open()
            extra[name] = Assistant(settings, other_kb, other_store, relevance=assistant.relevance)
        result = evaluate(assistant, load_questions(), extra)
    missed = below_thresholds(result, load_thresholds(thresholds))
    result["below_thresholds"] = missed
    if report is not None:
        for path in write_report(result, report):
            typer.echo(f"已写入 {path}", err=as_json)
    if as_json:
        _print_json(result)
    else:
        m = result["metrics"]
        typer.echo(f"题目 {result['n_questions']} 道（{result['mode']}）")
        for key in ("hit@1", "hit@5", "mrr@10", "ndcg@10", "key_fact_accuracy", "citation_precision",
                    "citation_recall", "refusal_accuracy", "refusal_precision", "refusal_recall"):
            typer.echo(f"  {key:<20} {m.get(key)}")
        typer.echo(f"  检索 p50 {m.get('retrieve_ms_p50'):.1f} ms，整体 p95 {m.get('total_ms_p95'):.1f} ms；失败 {len(result['failures'])} 道")
        for name, corpus in result["corpora"].items():
            fields = "，".join(f"{k} {v:.2f}" for k, v in corpus["metadata"].items())
            typer.echo(f"  语料 {name}：{corpus['documents']} 份，条款覆盖率 {corpus['coverage']:.4f}" + (f"；元数据 {fields}" if fields else ""))
    if missed:
        typer.secho("低于阈值：" + "；".join(missed), fg=typer.colors.RED, err=True)
        raise typer.Exit(1)


@eval_app.command("draft")
@handles_errors
def eval_draft(limit: Annotated[int, typer.Option("--limit", help="最多列出多少条")] = 50) -> None:
    """从含数字的条款生成候选问题（YAML），供人工改写、审核后再加入金标准。"""
    import yaml

    from evals.draft import draft_questions
    from evals.runner import load_questions

    known = {c for q in load_questions() for c in q.clauses}
    typer.echo(yaml.safe_dump(draft_questions(_open_kb(), known, limit), allow_unicode=True, sort_keys=False, width=200))


@app.command()
@handles_errors
def bench(
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    sizes: Annotated[str, typer.Option("--sizes", help="合成语料的条款数，逗号分隔")] = "10000,100000",
    queries: Annotated[int, typer.Option("--queries", help="每种规模计时的问题数")] = 50,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="是否测 huiqi serve 冷启动")] = True,
    load: Annotated[bool, typer.Option("--load", help="只做并发压测：对 huiqi serve 的吞吐、p95 与错误数")] = False,
    clients: Annotated[str, typer.Option("--clients", help="压测的并发客户端数，逗号分隔")] = "1,10,50",
    load_requests: Annotated[int, typer.Option("--load-requests", help="压测时每个客户端的提问数")] = 10,
    workers: Annotated[int, typer.Option("--workers", help="压测时 huiqi serve 的工作进程数")] = 1,
) -> None:
    """性能基准：查询延迟 p50/p95/p99（内置语料与合成语料）、入库速度、峰值内存、冷启动；--load 做并发压测。"""
    from evals.bench import run, run_load

    if load:
        levels = [int(part) for part in clients.split(",") if part.strip()]
        if load_requests <= 0 or workers <= 0 or not levels or any(level <= 0 for level in levels):
            raise ValueError("--clients、--load-requests 与 --workers 必须是正整数")
        figures = run_load(Settings(), levels, load_requests, workers)
        if as_json:
            _print_json(figures)
            return
        typer.echo(f"压测 huiqi serve（{figures['workers']} 个工作进程，每个客户端 {load_requests} 问，POST /api/chat）")
        typer.echo("并发  请求  成功  吞吐(问/秒)  p50(ms)  p95(ms)  最长(ms)  错误")
        for row in figures["levels"]:
            errors = "、".join(f"{status}×{count}" for status, count in row["errors"].items()) or "0"
            typer.echo(f"{row['clients']:>4}  {row['requests']:>4}  {row['ok']:>4}  {row['throughput_rps']:>11}  "
                       f"{row['p50_ms']:>7}  {row['p95_ms']:>7}  {row['max_ms']:>8}  {errors}")
        return

    wanted = [int(part) for part in sizes.split(",") if part.strip()]
    if queries <= 0 or any(size <= 0 for size in wanted):
        raise ValueError("--queries 与 --sizes 必须是正整数")
    result = run(Settings(), wanted, queries=queries, serve=serve)
    if as_json:
        _print_json(result)
        return
    typer.echo(f"内置语料（{result['corpus_clauses']} 条）：查询 p50 {result['query_p50_ms']} ms，p95 {result['query_p95_ms']} ms，p99 {result['query_p99_ms']} ms")
    for size, figures in result["sizes"].items():
        extra = f"，HNSW recall@10 {figures['hnsw_recall@10']}" if "hnsw_recall@10" in figures else ""
        typer.echo(f"合成语料 {size} 条（{figures['dense_search']}）：p50 {figures['query_p50_ms']} ms，p95 {figures['query_p95_ms']} ms，"
                   f"p99 {figures['query_p99_ms']} ms；构建/加载 {figures['build_or_load_s']} s{extra}")
    typer.echo(f"入库：{result['ingest_chunks']} 条 / {result['ingest_seconds']} s = {result['ingest_chunks_per_s']} 条/秒")
    if "cold_start_s" in result:
        typer.echo(f"huiqi serve 冷启动：{result['cold_start_s']} s")
    typer.echo(f"峰值内存：{result['peak_rss_mb']} MB")


if __name__ == "__main__":
    app()
