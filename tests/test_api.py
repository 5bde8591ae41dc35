"""The HTTP API through real HTTP on 127.0.0.1: chat, streaming, feedback, documents
with and without the admin token, CORS and framing headers, errors in Chinese."""

from __future__ import annotations

import io
import json
import re
import shutil
import time
import zipfile

import httpx
import pytest

from assistant.config import Settings
from assistant.service import Assistant
from knowledge.index import KnowledgeBase
from tests.openai_server import OpenAICompatibleServer
from tests.web import AppServer, free_port, sse_events
from ui.app import create_app

TOKEN = "test-admin-token-5b2e9"
SITE = f"http://127.0.0.1:{free_port()}"
FOREIGN = "http://127.0.0.1:9"
WX = "wenxian-2023-wanrenzhuwanqi-plan"

NEW_POLICY = (
    "关于支持中牟县企业数字化转型的若干措施\n"
    "中牟县人民政府办公室\n"
    "一、数字化改造补助\n"
    "对完成数字化改造的规模以上工业企业，按设备投资额的10%给予补助，单个企业最高补助80万元。\n"
    "二、上云奖励\n"
    "对首次上云的中小企业，给予每家3万元的一次性奖励。\n"
)


def start(bundled_data_dir, e5, tmp_path_factory, **overrides):
    data_dir = tmp_path_factory.mktemp("web") / "data"
    shutil.copytree(bundled_data_dir, data_dir)
    settings = Settings(data_dir=data_dir, **{"rate_limit": "off", "rate_limit_per_ip": "off", **overrides})
    kb = KnowledgeBase.open(settings.knowledge_config(), embedder=e5)
    return AppServer(create_app(settings, Assistant.open(settings, kb=kb)))


@pytest.fixture(scope="module")
def server(bundled_data_dir, e5, tmp_path_factory):
    with start(bundled_data_dir, e5, tmp_path_factory, admin_token=TOKEN, allowed_origins=(SITE,),
               max_file_mb=5) as running:
        yield running


@pytest.fixture
def api(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def admin() -> dict:
    return {"Authorization": f"Bearer {TOKEN}"}


def test_chat_answers_with_the_cited_clause(api):
    response = api.post("/api/chat", json={"question": "温县政府采购工程项目预留比例是多少？"})
    assert response.status_code == 200
    body = response.json()
    assert not body["refused"]
    assert "40%" in body["answer"] and "[1]" in body["answer"]
    assert body["citations"][0]["clause_id"] == f"{WX}:2.1.4"
    assert "40%" in body["citations"][0]["text"]
    assert body["session_id"] and isinstance(body["turn_id"], int)


def test_follow_up_in_the_same_session_keeps_the_region(api):
    first = api.post("/api/chat", json={"question": "金华国家级小巨人企业奖励多少？"}).json()
    follow = api.post("/api/chat", json={"question": "那省级的呢？", "session_id": first["session_id"]}).json()
    assert follow["session_id"] == first["session_id"]
    assert "金华" in follow["standalone_question"] and "省级" in follow["standalone_question"]
    assert not follow["refused"] and "30万元" in follow["answer"]


def test_stream_sends_tokens_then_the_full_answer(api):
    with api.stream("POST", "/api/chat/stream", json={"question": "郑州的单项冠军企业奖励多少钱？"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = response.read().decode("utf-8")
    events = sse_events(body)
    names = [name for name, _ in events]
    assert names[-1] == "answer" and names.count("answer") == 1
    assert "token" in names[:-1]
    final = json.loads(events[-1][1])
    streamed = "".join(json.loads(data)["text"] for name, data in events if name == "token")
    assert streamed == final["answer"]
    assert "500万元" in final["answer"] and final["citations"]


@pytest.mark.parametrize(
    ("payload", "status", "code", "words"),
    [
        ({"question": "   "}, 400, "invalid_question", "不能为空"),
        ({"question": "问" * 501}, 400, "invalid_question", "500"),
        ({"question": "补贴\x07多少"}, 400, "invalid_question", "控制字符"),
        ({"question": 123}, 422, "invalid_request", "问题"),
        ({}, 422, "invalid_request", "缺少问题"),
        ({"question": "补贴多少", "region": ["温县"]}, 422, "invalid_request", "地区"),
    ],
)
def test_bad_requests_get_a_chinese_json_error(api, payload, status, code, words):
    for path in ("/api/chat", "/api/chat/stream"):
        response = api.post(path, json=payload)
        assert response.status_code == status, (path, response.text)
        error = response.json()["error"]
        assert error["code"] == code and words in error["message"]


def test_a_body_that_is_not_json_is_refused(api):
    response = api.post("/api/chat", content=b"\xff\xfenot json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "JSON" in response.json()["error"]["message"]


def test_feedback_is_stored_with_its_answer(api, server):
    answer = api.post("/api/chat", json={"question": "温县新增技能人才的目标？"}).json()
    sent = {"session_id": answer["session_id"], "turn_id": answer["turn_id"], "rating": "down", "comment": "想知道补贴标准"}
    assert api.post("/api/feedback", json=sent).status_code == 200
    store = server_store(server)
    turn = next(t for t in store.log() if t.turn_id == answer["turn_id"])
    assert (turn.rating, turn.comment) == ("down", "想知道补贴标准")
    missing = api.post("/api/feedback", json={**sent, "turn_id": 10**9})
    assert missing.status_code == 404 and "找不到" in missing.json()["error"]["message"]
    other_session = api.post("/api/feedback", json={**sent, "session_id": "someone-else"})
    assert other_session.status_code == 404
    assert api.post("/api/feedback", json={**sent, "rating": "meh"}).status_code == 422


def server_store(server):
    return server.app.state.assistant.conversations


def test_documents_are_listed_without_a_token(api):
    documents = api.get("/api/documents").json()
    assert {d["doc_id"] for d in documents} >= {WX}
    assert all(set(d) >= {"doc_id", "title", "doc_number", "issuer", "date", "region", "chunks"} for d in documents)


def test_changing_documents_needs_the_admin_token(api):
    files = {"files": ("新政策.txt", NEW_POLICY.encode(), "text/plain")}
    missing = api.post("/api/documents", files=files)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert "管理令牌" in missing.json()["error"]["message"]
    wrong = api.post("/api/documents", files=files, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "forbidden"
    assert api.delete(f"/api/documents/{WX}").status_code == 401
    assert api.delete(f"/api/documents/{WX}", headers={"Authorization": "Bearer nope"}).status_code == 403
    assert WX in {d["doc_id"] for d in api.get("/api/documents").json()}


def test_upload_then_ask_then_delete(api):
    before = api.get("/healthz").json()["clauses"]
    response = api.post(
        "/api/documents", headers=admin(),
        files=[("files", ("zhongmou-digital.txt", NEW_POLICY.encode("gb18030"), "text/plain"))],
    )
    assert response.status_code == 200, response.text
    [added] = response.json()["added"]
    assert added["doc_id"] == "zhongmou-digital" and added["chunks"] >= 2
    assert api.get("/healthz").json()["clauses"] == before + added["chunks"]

    answer = api.post("/api/chat", json={"question": "中牟县数字化改造补助最高多少？"}).json()
    assert not answer["refused"] and "80万元" in answer["answer"]
    assert answer["citations"][0]["doc_id"] == "zhongmou-digital"

    assert api.delete("/api/documents/zhongmou-digital", headers=admin()).status_code == 200
    assert "zhongmou-digital" not in {d["doc_id"] for d in api.get("/api/documents").json()}
    assert api.get("/healthz").json()["clauses"] == before
    gone = api.delete("/api/documents/zhongmou-digital", headers=admin())
    assert gone.status_code == 404 and "zhongmou-digital" in gone.json()["error"]["message"]


def test_a_rejected_upload_is_named_and_changes_nothing(api):
    before = api.get("/api/documents").json()
    response = api.post(
        "/api/documents", headers=admin(),
        files=[("files", ("工具.exe", b"MZ\x90\x00binary", "application/octet-stream"))],
    )
    assert response.status_code == 400
    body = response.json()
    assert "工具.exe" in body["error"]["message"] and body["rejected"][0]["file"] == "工具.exe"
    assert api.get("/api/documents").json() == before


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"0" * (210 * 1024 * 1024))
    return buffer.getvalue()


HOSTILE_UPLOADS = [
    ("发票.pdf", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG"),
    ("政策.txt", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n", "PDF"),
    ("损坏.pdf", b"%PDF-1.4\n garbage without objects", "PDF"),
    ("损坏.docx", b"PK\x03\x04 truncated zip", ".docx"),
    ("旧版.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, ".doc"),
    ("炸弹.docx", None, "压缩炸弹"),
    ("空白.html", b"<html><head><script>alert(1)</script></head><body><div></body>", "没有可读的文字"),
    ("乱码.txt", b"\x81\xff" * 200, "编码"),
    ("超大.txt", "政策".encode() * (3 * 1024 * 1024), "超过上限"),
]


def test_hostile_uploads_are_each_refused_by_name_and_nothing_changes(api):
    before_docs = api.get("/api/documents").json()
    before_clauses = api.get("/healthz").json()["clauses"]
    files = [
        ("files", (name, _zip_bomb() if data is None else data, "application/octet-stream"))
        for name, data, _ in HOSTILE_UPLOADS
    ]
    response = api.post("/api/documents", headers=admin(), files=files)
    assert response.status_code == 400, response.text
    rejected = {item["file"]: item["reason"] for item in response.json()["rejected"]}
    for name, _, reason in HOSTILE_UPLOADS:
        assert reason in rejected[name], (name, rejected[name])
        assert name in response.json()["error"]["message"]
    assert api.get("/api/documents").json() == before_docs
    assert api.get("/healthz").json()["clauses"] == before_clauses


def test_cors_preflight_admits_only_configured_origins(api):
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = api.options("/api/chat", headers={"Origin": SITE, **ask})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == SITE
    foreign = api.options("/api/chat", headers={"Origin": FOREIGN, **ask})
    assert foreign.status_code == 400
    assert "access-control-allow-origin" not in foreign.headers
    simple = api.post("/api/chat", json={"question": "温县技术改造投资增长目标是多少？"}, headers={"Origin": FOREIGN})
    assert "access-control-allow-origin" not in simple.headers


def test_only_the_widget_page_may_be_framed_by_the_configured_site(api):
    embed = api.get("/embed")
    assert embed.status_code == 200
    policy = embed.headers["content-security-policy"]
    assert f"frame-ancestors 'self' {SITE}" in policy and FOREIGN not in policy
    assert "script-src 'self'" in policy
    for path in ("/", "/docs", "/api/documents"):
        response = api.get(path)
        assert response.headers["content-security-policy"].endswith("frame-ancestors 'self'"), path
        assert response.headers["x-content-type-options"] == "nosniff"
    widget = api.get("/widget.js")
    assert widget.headers["content-type"].startswith("application/javascript")
    assert TOKEN not in widget.text and TOKEN not in embed.text and TOKEN not in api.get("/").text


def test_health_and_openapi(api):
    health = api.get("/healthz").json()
    assert health["status"] == "ok" and health["documents"] >= 5 and health["mode"] == "extractive"
    assert api.get("/docs").status_code == 200
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/api/chat", "/api/chat/stream", "/api/feedback", "/api/documents", "/healthz"} <= set(paths)


def test_unknown_paths_are_json_errors(api):
    response = api.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["message"]


def test_without_an_admin_token_the_console_and_uploads_are_off(bundled_data_dir, e5, tmp_path_factory):
    with start(bundled_data_dir, e5, tmp_path_factory) as running, httpx.Client(base_url=running.url) as client:
        console = client.get("/console")
        assert console.status_code == 503 and "HUIQI_ADMIN_TOKEN" in console.text
        assert client.get("/console/").status_code in (404, 503)
        upload = client.post("/api/documents", files={"files": ("a.txt", NEW_POLICY.encode(), "text/plain")})
        assert upload.status_code == 403 and upload.json()["error"]["code"] == "admin_disabled"


def test_the_first_words_arrive_while_the_model_is_still_writing(bundled_data_dir, e5, tmp_path_factory):
    from evals.stream_latency import measure

    reply = "2023年政府采购工程项目预留比例提高至40%以上[1]。"
    trickle_s = len(reply) / 3 * 0.05  # 3 characters every 50 ms
    with (
        OpenAICompatibleServer(lambda messages: reply, chunk_chars=3, chunk_delay_s=0.05) as model,
        start(bundled_data_dir, e5, tmp_path_factory, llm_base_url=model.base_url, llm_model="m") as running,
        httpx.Client(base_url=running.url, timeout=60) as client,
    ):
        arrivals = []  # (event name, seconds since the request), read as the bytes come in
        started = time.perf_counter()
        with client.stream("POST", "/api/chat/stream", json={"question": "温县政府采购工程项目预留比例是多少？"}) as response:
            for line in response.iter_lines():
                if line.startswith("event: "):
                    arrivals.append((line[7:], time.perf_counter() - started))
        figures = measure(running.url, runs=1, warmup=0)
    names = [name for name, _ in arrivals]
    assert names[-1] == "answer" and names.count("token") >= 5, names
    first_token, answer = arrivals[0][1], arrivals[-1][1]
    # Buffered, the whole answer would land at once; streamed, the first words lead by most of the trickle.
    assert answer - first_token >= trickle_s / 2, arrivals
    assert figures["total_ms_p50"] - figures["ttft_ms_p50"] >= trickle_s / 2 * 1000, figures


HOSTILE_BODIES = {
    "invalid-utf8": b'{"question": "\xff\xfe\xe6\xb8"}',
    "latin1": '{"question": "café"}'.encode("latin-1"),
    "not-json": b"question=1",
    "json-list": b"[1, 2]",
    "json-string": '"温县"'.encode(),
    "question-number": b'{"question": 123}',
    "question-null": b'{"question": null}',
    "question-object": b'{"question": {"$gt": ""}}',
    "session-number": '{"question": "温县", "session_id": 5}'.encode(),
    "session-bad": '{"question": "温县", "session_id": "../../etc/passwd"}'.encode(),
    "region-list": '{"question": "温县", "region": ["温县"]}'.encode(),
    "channel-unknown": '{"question": "温县", "channel": "admin"}'.encode(),
    "nan": b'{"question": NaN}',
    "deep-nesting": b"[" * 50_000 + b"]" * 50_000,
    "empty": b"",
    "whitespace-question": rb'{"question": " \u3000\t "}',
    "control-characters": rb'{"question": "\u0000\u001b[31m"}',
    "lone-surrogate": rb'{"question": "\ud800"}',
    "too-long-question": ('{"question": "%s"}' % ("温" * 501)).encode(),
}


@pytest.mark.parametrize("path", ["/api/chat", "/api/chat/stream", "/api/feedback"])
@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_hostile_bodies_get_a_chinese_4xx_never_a_500(api, path, name):
    response = api.post(path, content=HOSTILE_BODIES[name], headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] and re.search(r"[\u4e00-\u9fff]", error["message"]), error
    assert "Traceback" not in response.text and "File \"" not in response.text


def test_invalid_utf8_is_named_as_such(api):
    response = api.post("/api/chat", content=HOSTILE_BODIES["invalid-utf8"], headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "UTF-8" in response.json()["error"]["message"]


def test_oversized_body_is_refused_before_it_is_read(api):
    body = json.dumps({"question": "温县" * 100_000}).encode()
    response = api.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "请求体过大" in response.json()["error"]["message"]


def test_questions_over_the_rate_limit_get_429_with_retry_after(bundled_data_dir, e5, tmp_path_factory):
    with start(bundled_data_dir, e5, tmp_path_factory, rate_limit="3/minute", rate_limit_per_ip="5/minute") as limited:
        with httpx.Client(base_url=limited.url, timeout=60) as client:
            ask = {"question": "温县政府采购工程项目预留比例是多少？", "session_id": "visitor-a"}
            assert [client.post("/api/chat", json=ask).status_code for _ in range(3)] == [200, 200, 200]
            refused = client.post("/api/chat/stream", json=ask)
            assert refused.status_code == 429
            assert 1 <= int(refused.headers["Retry-After"]) <= 60
            assert "提问过于频繁" in refused.json()["error"]["message"]
            # Another visitor behind the same address is served, up to the per-address cap.
            other = {**ask, "session_id": "visitor-b"}
            assert [client.post("/api/chat", json=other).status_code for _ in range(3)] == [200, 200, 429]
            assert client.get("/healthz").status_code == 200  # only questions are counted


def test_a_session_reads_back_its_turns_and_only_issued_ids_are_readable(api):
    first = api.post("/api/chat", json={"question": "温县政府采购工程项目预留比例是多少？"}).json()
    api.post("/api/chat", json={"question": "那怎么申请？", "session_id": first["session_id"]})
    body = api.get(f"/api/sessions/{first['session_id']}").json()
    assert [t["question"] for t in body["turns"]] == ["温县政府采购工程项目预留比例是多少？", "那怎么申请？"]
    assert "40%" in body["turns"][0]["answer"] and body["turns"][0]["citations"][0]["clause_id"]
    assert body["turns"][0]["turn_id"] == first["turn_id"] and 2 <= len(first["suggestions"]) <= 3
    chosen = api.post("/api/chat", json={"question": "专精特新企业奖励多少？", "session_id": "s1"})
    assert chosen.status_code == 200
    for unreadable in ("s1", "0" * 32):
        response = api.get(f"/api/sessions/{unreadable}")
        assert response.status_code == 404 and "会话" in response.json()["error"]["message"]


def test_a_document_reads_back_clause_by_clause(api):
    documents = api.get("/api/documents").json()
    body = api.get(f"/api/documents/{documents[0]['doc_id']}").json()
    assert body["title"] == documents[0]["title"] and len(body["clauses"]) == documents[0]["chunks"]
    assert all(c["clause_id"].startswith(body["doc_id"] + ":") for c in body["clauses"])
    missing = api.get("/api/documents/no-such-document")
    assert missing.status_code == 404 and "没有编号为" in missing.json()["error"]["message"]
