"""`huiqi serve`: the checks made before the web app starts, and the start itself.

Every check runs before a worker starts, so a bad setting is reported once, in Chinese,
instead of once per worker or as a traceback.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable

import uvicorn

from assistant.config import Settings
from ui.app import create_app

MIN_PUBLIC_TOKEN_CHARS = 16


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable only from this machine.

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("[::1]"), is_loopback("0.0.0.0")
        (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_options(settings: Settings, host: str, workers: int) -> None:
    """Refuse a short admin token on a public address, and several workers sharing an
    embedded vector store (raises ValueError with what to do instead)."""
    token = _admin_token(settings)
    if token and len(token) < MIN_PUBLIC_TOKEN_CHARS and not is_loopback(host):
        raise ValueError(
            f"管理令牌太短（{len(token)} 个字符）。对外提供服务（--host {host}）时，HUIQI_ADMIN_TOKEN 至少 "
            f"{MIN_PUBLIC_TOKEN_CHARS} 个字符，可用 `python -c \"import secrets; print(secrets.token_urlsafe(24))\"` 生成。"
        )
    if workers > 1 and not settings.chroma_url:
        raise ValueError(
            "多个工作进程不能共用内嵌向量库：请用 `chroma run` 启动 Chroma 服务并设置 HUIQI_CHROMA_URL"
            "（多台机器时还需 HUIQI_DATABASE_URL 指向 PostgreSQL）。"
        )


# The supervisor kills a worker that does not answer its ping in time, and waits as long for a
# restarted one to be ready. The ping is answered by a thread that needs the GIL: a worker inside a
# long native call (loading the model, encoding a batch) on cores its siblings share can miss
# uvicorn's 5 s, and a new worker loading the model takes longer than that to be ready.
WORKER_HEALTHCHECK_S = 60


def serve(settings: Settings, host: str, port: int, workers: int,
          announce: Callable[[str], None], warn: Callable[[str], None]) -> None:
    """Check the options, open the app and serve until interrupted.

    The app is opened here even with several workers: a wrong Chroma or database
    address is reported once, before any worker starts; each worker then opens its own.
    """
    check_options(settings, host, workers)
    web = create_app(settings)
    documents = web.state.library.documents()
    if not documents:
        warn("提示：知识库是空的，请先运行 `huiqi ingest` 导入政策文件。")
    console = "已启用" if _admin_token(settings) else "未启用（未设置 HUIQI_ADMIN_TOKEN）"
    announce(
        f"惠企政策助手：http://{host}:{port}/ （{len(documents)} 份文件，{sum(d.chunks for d in documents)} 条条款，"
        f"{workers} 个工作进程）\n"
        f"帮办控制台：/console {console}；接口文档：/docs；网站挂件：/widget.js"
    )
    if workers == 1:
        uvicorn.run(web, host=host, port=port, log_level="warning")
    else:
        del web
        # Read by each worker's embedding engine when it loads: N workers share the cores.
        os.environ.setdefault("OMP_NUM_THREADS", str(embedding_threads(workers)))
        uvicorn.run(
            "ui.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="warning",
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
        )


def embedding_threads(workers: int, cores: int | None = None) -> int:
    """Threads each worker's embedding engine may use, so that N workers on C cores do
    not run more threads than cores (each engine would otherwise start one per core).

    Example:
        >>> embedding_threads(1, 2), embedding_threads(2, 2), embedding_threads(4, 2), embedding_threads(2, 8)
        (2, 1, 1, 4)
    """
    cores = cores or len(os.sched_getaffinity(0))
    return max(1, cores // max(1, workers))


def _admin_token(settings: Settings) -> str:
    return settings.admin_token.get_secret_value() if settings.admin_token else ""
