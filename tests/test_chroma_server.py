"""Server mode: `HUIQI_CHROMA_URL` against a real `chroma run` started by the test."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app
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
