"""The `huiqi` command line: each command reads its options, calls the one function that
does the work (in `knowledge`, `assistant`, `ui` or `evals`) and prints the result.

Heavy modules are imported inside the commands, so `huiqi --help` stays fast.
"""

from __future__ import annotations

import functools
import json
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
eval_app = typer.Typer(help="评测：金标准问题上的检索、回答与拒答指标", invoke_without_command=True)
app.add_typer(eval_app, name="eval")


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


def _open_assistant(keep_log: bool = True):
    """The assistant on the configured knowledge base; without `keep_log`, what is asked
    stays out of the help desk's conversation log."""
    from assistant.conversation import ConversationStore
    from assistant.service import Assistant

    return Assistant.open(Settings(), conversations=None if keep_log else ConversationStore("sqlite://"))


def _print_json(value) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _int_list(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


@app.command()
@handles_errors
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="文件或目录；默认为内置政策文件")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="清空索引后全部重建（更换向量模型后使用）")] = False,
) -> None:
    """把政策文件切分为条款并建立索引（重复运行只处理有变化的文件）。"""
    from huiqi.terminal import print_ingest_report, progress_bar

    with progress_bar("向量化条款") as progress:
        report = _open_kb(rebuild=rebuild).ingest(paths or None, on_progress=progress)
    print_ingest_report(report)
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
    region: Annotated[str | None, typer.Option("--region", help="企业所在地区；与提问、控制台命中测试一样按地区范围检索")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """只做检索（命中测试）：列出与问题最相关的条款及其相关度。"""
    from huiqi.terminal import hit_rows, print_hits

    if k <= 0:
        _fail(f"--k 必须大于 0，当前为 {k}。", code=2)
    assistant = _open_assistant(keep_log=False)
    retrieval = assistant.search(question, region=region, k=k)
    if as_json:
        _print_json(hit_rows(retrieval))
        return
    print_hits(retrieval, assistant.relevance.threshold)


@app.command()
@handles_errors
def ask(
    question: Annotated[str, typer.Argument(help="要咨询的政策问题")],
    region: Annotated[str | None, typer.Option("--region", help="企业所在地区，如 郑州市、温县")] = None,
    session: Annotated[str | None, typer.Option("--session", help="会话编号；同一编号的多次提问可以追问")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """回答一个政策问题，并列出所依据的条款原文。"""
    from huiqi.terminal import print_citations, print_suggestions

    answer = _open_assistant().ask(question, session_id=session, region=region)
    if as_json:
        _print_json(answer.as_json())
        return
    if answer.standalone_question != answer.question:
        typer.secho(f"（按上下文理解为：{answer.standalone_question}）", dim=True)
    typer.echo(answer.text)
    if answer.notice:
        typer.secho(answer.notice, fg=typer.colors.YELLOW)
    print_citations(answer)
    print_suggestions(answer)


@app.command()
@handles_errors
def chat(
    region: Annotated[str | None, typer.Option("--region", help="企业所在地区")] = None,
    session: Annotated[str | None, typer.Option("--session", help="接着某个会话继续聊")] = None,
) -> None:
    """交互式问答：逐字输出回答并列出引用条款。输入 /new 开始新会话，/quit 退出。"""
    from huiqi.terminal import chat_loop

    chat_loop(_open_assistant(), region, session)


@app.command()
@handles_errors
def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口")] = 7860,
    workers: Annotated[int, typer.Option("--workers", help="工作进程数；多于 1 个时需配置 Chroma 服务", min=1)] = 1,
) -> None:
    """启动网页（/）、帮办控制台（/console）、网站挂件（/widget.js）与接口（/api、/docs）。"""
    from ui.serve import serve as serve_web

    serve_web(
        Settings(), host, port, workers, announce=typer.echo,
        warn=lambda message: typer.secho(message, fg=typer.colors.YELLOW, err=True),
    )


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
    from evals.commands import eval_summary, run_eval
    from evals.report import write_report

    result = run_eval(Settings(), embedder, thresholds)
    if report is not None:
        for path in write_report(result, report):
            typer.echo(f"已写入 {path}", err=as_json)
    if as_json:
        _print_json(result)
    else:
        typer.echo(eval_summary(result))
    if result["below_thresholds"]:
        _fail("低于阈值：" + "；".join(result["below_thresholds"]))


@eval_app.command("draft")
@handles_errors
def eval_draft(limit: Annotated[int, typer.Option("--limit", help="最多列出多少条")] = 50) -> None:
    """从含数字的条款生成候选问题（YAML），供人工改写、审核后再加入金标准。"""
    from evals.commands import draft_yaml

    typer.echo(draft_yaml(Settings(), limit))


def _bench_report(folder: Path | None, part: str, figures: dict) -> None:
    if folder is not None:
        from evals.bench_report import record

        typer.echo(f"报告：{record(folder, part, figures)}", err=True)


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
    freshness: Annotated[bool, typer.Option(
        "--freshness", help="只测更新时效：改动一份文件后，各工作进程多久用上新版本（规模取 --sizes 的第一个）")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="把结果写成 HTML 报告（含图表）到这个目录")] = None,
    baseline_up_to: Annotated[int, typer.Option(
        "--baseline-up-to", help="LangChain 对照只在不超过此条款数的合成语料上计时（百万条时另建向量集合要半小时以上）")] = 100_000,
) -> None:
    """性能基准：查询延迟 p50/p95/p99（内置语料与合成语料）、入库速度、峰值内存、冷启动；--load 做并发压测。"""
    from evals.bench import run, run_load
    from evals.commands import bench_summary, freshness_summary, load_summary

    if freshness:
        from evals.freshness import run_freshness

        wanted = _int_list(sizes)
        if workers <= 0 or not wanted or wanted[0] <= 0:
            raise ValueError("--sizes 与 --workers 必须是正整数")
        figures = run_freshness(Settings(), wanted[0], workers=workers)
        _bench_report(report, "freshness", figures)
        if as_json:
            _print_json(figures)
        else:
            typer.echo(freshness_summary(figures))
        return
    if load:
        levels = _int_list(clients)
        if load_requests <= 0 or workers <= 0 or not levels or any(level <= 0 for level in levels):
            raise ValueError("--clients、--load-requests 与 --workers 必须是正整数")
        figures = run_load(Settings(), levels, load_requests, workers)
        _bench_report(report, f"load-{workers}", figures)
        if as_json:
            _print_json(figures)
        else:
            typer.echo(load_summary(figures))
        return
    wanted = _int_list(sizes)
    if queries <= 0 or any(size <= 0 for size in wanted):
        raise ValueError("--queries 与 --sizes 必须是正整数")
    result = run(Settings(), wanted, queries=queries, serve=serve, baseline_up_to=baseline_up_to)
    _bench_report(report, "latency", result)
    if as_json:
        _print_json(result)
    else:
        typer.echo(bench_summary(result))
