"""50 chat clients at once while documents are re-indexed and replaced: no 5xx, every
answer comes from a whole index (old or new, never an empty one), and afterwards the
registry and Chroma hold exactly the expected clauses. Once in one process, once as
`huiqi serve --workers 2` on PostgreSQL and a Chroma server, where a curated answer
published, edited and withdrawn is what both workers serve from the next question on."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.service import Assistant
from evals.load import Reply, run_clients
from knowledge.index import KnowledgeBase
from tests.conftest import bundled_clauses
from tests.services import ChromaServer, postgres_server, wait_for
from tests.test_assistant import KEY_FACTS
from tests.web import AppServer, free_port
from ui.app import create_app

TOKEN = "concurrency-admin-token-3f9a1c"
HUIQI = str(Path(sys.executable).parent / "huiqi")


CLIENTS = 50
REINDEXED = ["wenxian-2023-wanrenzhuwanqi-plan", "zhengzhou-2024-sme-development-reply"]


def policy(subsidy: str) -> str:
    return (
        "关于支持中牟县企业数字化转型的若干措施\n中牟县人民政府办公室\n"
        f"一、数字化改造补助\n对完成数字化改造的规模以上工业企业，按设备投资额的10%给予补助，单个企业最高补助{subsidy}。\n"
        "二、上云奖励\n对首次上云的中小企业，给予每家3万元的一次性奖励。\n"
    )


ZHONGMOU = "中牟县数字化改造补助最高多少？"
# The document is replaced during the run: either version's figure is a right answer.
EXPECTED = {question: (fact,) for question, _, fact in KEY_FACTS[:12]} | {ZHONGMOU: ("80万元", "120万元")}


def upload(http: httpx.Client, subsidy: str) -> httpx.Response:
    files = [("files", ("zhongmou-digital.txt", policy(subsidy).encode(), "text/plain"))]
    return http.post("/api/documents", files=files, headers={"Authorization": f"Bearer {TOKEN}"})


def exercise(base_url: str) -> tuple[list[Reply], list[httpx.Response]]:
    """Clients ask in rounds until the help desk's re-index and replacement are done."""
    admin: list[httpx.Response] = []
    with httpx.Client(base_url=base_url, timeout=600) as http:
        assert upload(http, "80万元").status_code == 200

        def help_desk() -> None:
            with httpx.Client(base_url=base_url, timeout=600) as desk:
                headers = {"Authorization": f"Bearer {TOKEN}"}
                for doc_id in REINDEXED:
                    admin.append(desk.post(f"/api/documents/{doc_id}/reindex", headers=headers))
                admin.append(upload(desk, "120万元"))

        desk = threading.Thread(target=help_desk)
        replies: list[Reply] = []
        desk.start()
        while desk.is_alive() or not replies:
            replies += run_clients(base_url, list(EXPECTED), CLIENTS, 2).replies
        desk.join()
    return replies, admin


def check(replies: list[Reply], admin: list[httpx.Response], health: dict) -> None:
    assert [r.status_code for r in admin] == [200] * len(admin), [r.text for r in admin]
    statuses = {r.status for r in replies}
    assert statuses == {200}, statuses
    for reply in replies:
        body = reply.body
        assert not body["refused"], (reply.question, body["answer"])
        assert any(fact in body["answer"] for fact in EXPECTED[reply.question]), (reply.question, body["answer"])
        assert body["citations"]
    new_chunks = admin[-1].json()["updated"][0]["chunks"]
    assert health["clauses"] == bundled_clauses() + new_chunks
    assert health["vectors"] == health["clauses"], "no lost or duplicated clauses in Chroma"


def test_fifty_clients_during_reindex_in_one_process(bundled_data_dir, e5, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(bundled_data_dir, data_dir)
    settings = Settings(data_dir=data_dir, admin_token=TOKEN, rate_limit="off", rate_limit_per_ip="off")
    kb = KnowledgeBase.open(settings.knowledge_config(), embedder=e5)
    with AppServer(create_app(settings, Assistant.open(settings, kb=kb))) as server:
        replies, admin = exercise(server.url)
        health = httpx.get(f"{server.url}/healthz").json()
    check(replies, admin, health)
    assert len(replies) >= 2 * CLIENTS
    registry_ids, _ = kb.registry.all_tokens()
    chroma_ids, _ = kb.vectors.all_vectors()
    assert sorted(registry_ids) == sorted(chroma_ids) and len(set(registry_ids)) == len(registry_ids)


CURATED_QUESTION = "温县企业食堂卫生许可证怎么办理？"
CURATED_ASKED = "温县企业食堂的卫生许可证要怎么办"


def curated_answers_reach_both_workers(base_url: str) -> None:
    """A curated answer published, edited and withdrawn through one connection is what
    every later question gets, whichever worker serves it (new connections alternate)."""
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def modes_and_answers() -> list[tuple[str, str]]:
        with httpx.Client(base_url=base_url, timeout=120) as http:
            return [
                (reply["mode"], reply["answer"])
                for reply in (
                    http.post("/api/chat", json={"question": CURATED_ASKED}, headers={"Connection": "close"}).json()
                    for _ in range(12)
                )
            ]

    with httpx.Client(base_url=base_url, timeout=120) as http:
        created = http.post("/api/curated", headers=headers, json={
            "question": CURATED_QUESTION, "answer": "到县政务服务中心一楼办理。", "region": "温县",
        })
        assert created.status_code == 201, created.text
        assert all(mode == "curated" and text.startswith("到县政务服务中心一楼") for mode, text in modes_and_answers())
        edited = http.put(f"/api/curated/{created.json()['id']}", headers=headers, json={
            "question": CURATED_QUESTION, "answer": "已改到二楼办理。", "region": "温县",
        })
        assert edited.status_code == 200
        assert all(text.startswith("已改到二楼办理。") for _, text in modes_and_answers())
        assert http.delete(f"/api/curated/{created.json()['id']}", headers=headers).status_code == 200
        assert all(mode != "curated" for mode, _ in modes_and_answers())


@pytest.fixture
def shared_services(tmp_path):
    with ChromaServer(tmp_path / "chroma") as chroma, postgres_server() as database_url:
        yield chroma, database_url


def test_fifty_clients_during_reindex_with_two_workers_on_postgres(shared_services, tmp_path):
    chroma, database_url = shared_services
    env = {
        **os.environ, "HF_HUB_OFFLINE": "1", "HUIQI_DATA_DIR": str(tmp_path / "data"),
        "HUIQI_CHROMA_URL": chroma.url, "HUIQI_DATABASE_URL": database_url, "HUIQI_ADMIN_TOKEN": TOKEN,
        "HUIQI_RATE_LIMIT": "off", "HUIQI_RATE_LIMIT_PER_IP": "off",
    }
    ingest = subprocess.run([HUIQI, "ingest"], env=env, capture_output=True, text=True, timeout=300)
    assert ingest.returncode == 0, ingest.stderr
    assert not (tmp_path / "data" / "registry.sqlite3").exists(), "the registry lives in PostgreSQL"

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    # A file, not a pipe: a pipe nobody reads until the end can fill and stall the server.
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [HUIQI, "serve", "--port", str(port), "--workers", "2"], env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        def ready() -> bool:
            try:
                return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, "huiqi serve --workers 2", server, timeout_s=180)
        replies, admin = exercise(base_url)
        workers = set()
        with httpx.Client(base_url=base_url) as http:
            for _ in range(40):  # new connections, so both workers get a turn
                health = http.get("/healthz", headers={"Connection": "close"}).json()
                workers.add(health["worker"])
        curated_answers_reach_both_workers(base_url)
    except Exception as error:
        raise AssertionError(f"huiqi serve said:\n{log_path.read_text()[-4000:]}") from error
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    output = log_path.read_text()
    assert "2 个工作进程" in output
    check(replies, admin, health)
    assert len(workers) == 2, "both workers answered"
