"""Server mode: `HUIQI_CHROMA_URL` against a real `chroma run` started by the test."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from huiqi.cli import app
from knowledge.errors import VectorStoreUnavailable
from knowledge.index import KnowledgeBase, KnowledgeConfig
from tests.services import ChromaServer
from tests.web import free_port


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    with ChromaServer(tmp_path_factory.mktemp("chroma-server")) as server:
        yield server.url


def test_ingest_search_and_remove_against_a_chroma_server(chroma_server, tmp_path, monkeypatch, policies_copy, e5):
    monkeypatch.setenv("HUIQI_CHROMA_URL", chroma_server)
    for extra in policies_copy.iterdir():
        if not extra.name.startswith(("wenxian", "jinhua")):
            extra.unlink()
    runner = CliRunner()
    ingest = runner.invoke(app, ["ingest", str(policies_copy)])
    assert ingest.exit_code == 0, ingest.output
    assert not (tmp_path / "huiqi-data" / "chroma").exists(), "vectors live on the server, not in the data dir"

    rows = json.loads(runner.invoke(app, ["search", "温县政府采购预留比例", "--k", "3", "--json"]).output)
    assert rows[0]["doc_id"] == "wenxian-2023-wanrenzhuwanqi-plan"

    kb = KnowledgeBase.open(KnowledgeConfig(data_dir=tmp_path / "huiqi-data", chroma_url=chroma_server), embedder=e5)
    total = kb.registry.clause_count()
    assert kb.vectors.count() == total
    dense = kb.dense_search("金华市隐形冠军企业奖励", k=3)
    assert any(hit.document.doc_id == "jinhua-2023-sme-regulation-reply" for hit in dense)

    removed = kb.remove("jinhua-2023-sme-regulation-reply")
    assert kb.vectors.count() == total - removed.chunks


def test_unreachable_chroma_server_is_a_clear_error(tmp_path, e5):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(VectorStoreUnavailable, match="无法打开向量库") as caught:
        KnowledgeBase.open(KnowledgeConfig(data_dir=tmp_path, chroma_url=url), embedder=e5)
    assert url in str(caught.value)


def test_cli_reports_unreachable_server_in_chinese(tmp_path, monkeypatch):
    monkeypatch.setenv("HUIQI_CHROMA_URL", f"http://127.0.0.1:{free_port()}")
    result = CliRunner().invoke(app, ["docs", "list"])
    assert result.exit_code == 1 and "Chroma 服务已启动" in result.output


def test_chroma_outage_is_a_503_per_write_answers_go_on_and_it_recovers(tmp_path, e5, policies_copy):
    """Chroma stops under a running huiqi: health and writes answer 503 in Chinese with
    nothing changed, questions are still answered from the vectors in memory, and all
    is well again once Chroma is back on the same address."""
    import httpx

    from assistant.config import Settings
    from assistant.service import Assistant
    from tests.web import AppServer
    from ui.app import create_app

    token = "outage-admin-token-77a1"
    chroma = ChromaServer(tmp_path / "chroma").start()
    try:
        settings = Settings(data_dir=tmp_path / "data", chroma_url=chroma.url, admin_token=token,
                            rate_limit="off", rate_limit_per_ip="off")
        kb = KnowledgeBase.open(settings.knowledge_config(), embedder=e5)
        kb.ingest([policies_copy / "wenxian-2023-wanrenzhuwanqi-plan.txt"])
        admin = {"Authorization": f"Bearer {token}"}
        upload = [("files", ("xingyang-cloud.txt", "关于支持荥阳市企业上云的通知\n一、上云奖励\n对首次上云的中小企业给予每家2万元奖励。\n".encode(), "text/plain"))]
        question = {"question": "温县政府采购工程项目预留比例是多少？"}
        with AppServer(create_app(settings, Assistant.open(settings, kb=kb))) as server, \
                httpx.Client(base_url=server.url, timeout=120) as http:
            assert http.post("/api/chat", json=question).json()["refused"] is False
            before = http.get("/api/documents").json()

            chroma.stop()
            health = http.get("/healthz")
            assert health.status_code == 503
            assert health.json()["error"]["code"] == "vector_store_unavailable"
            assert "暂时无法访问" in health.json()["error"]["message"]
            for response in (
                http.post("/api/documents", headers=admin, files=upload),
                http.delete("/api/documents/wenxian-2023-wanrenzhuwanqi-plan", headers=admin),
                http.post("/api/documents/wenxian-2023-wanrenzhuwanqi-plan/reindex", headers=admin),
            ):
                assert response.status_code == 503, response.text
                assert "Chroma" in response.json()["error"]["message"]
            assert http.get("/api/documents").json() == before
            answered = http.post("/api/chat", json=question)
            assert answered.status_code == 200 and "40%" in answered.json()["answer"]

            chroma.start()
            assert http.get("/healthz").status_code == 200
            assert http.post("/api/documents", headers=admin, files=upload).status_code == 200
            assert len(http.get("/api/documents").json()) == len(before) + 1
            assert http.get("/healthz").json()["vectors"] == http.get("/healthz").json()["clauses"]
    finally:
        chroma.stop()


def test_serve_refuses_to_start_when_chroma_is_unreachable(tmp_path, monkeypatch):
    monkeypatch.setenv("HUIQI_CHROMA_URL", f"http://127.0.0.1:{free_port()}")
    result = CliRunner().invoke(app, ["serve", "--port", str(free_port())])
    assert result.exit_code == 1 and "无法打开向量库" in result.output and "Chroma 服务已启动" in result.output
