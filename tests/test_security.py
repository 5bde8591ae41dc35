"""Attacks a hostile visitor tried against `huiqi serve`, replayed over real HTTP on
127.0.0.1; each must fail."""

from __future__ import annotations

import json
import shutil
import uuid

import httpx
import pytest

from assistant.config import Settings
from assistant.service import Assistant
from knowledge.index import KnowledgeBase
from tests.web import AppServer
from ui.app import create_app

TOKEN = "security-token-for-tests-7c2e"
SECRET = "HUIQI-SECRET-MARKER-5d1f0b"


@pytest.fixture(scope="module")
def secret_files(tmp_path_factory):
    """Files a server must never hand out: one beside the data, one inside the data dir."""
    folder = tmp_path_factory.mktemp("secrets")
    outside = folder / "secret.txt"
    outside.write_text(f"HUIQI_ADMIN_TOKEN={SECRET}\n", encoding="utf-8")
    return outside


@pytest.fixture(scope="module")
def server(bundled_data_dir, e5, tmp_path_factory, secret_files):
    data_dir = tmp_path_factory.mktemp("security") / "data"
    shutil.copytree(bundled_data_dir, data_dir)
    (data_dir / "inside-secret.txt").write_text(SECRET, encoding="utf-8")
    settings = Settings(data_dir=data_dir, admin_token=TOKEN)
    kb = KnowledgeBase.open(settings.knowledge_config(), embedder=e5)
    with AppServer(create_app(settings, Assistant.open(settings, kb=kb))) as running:
        running.data_dir = data_dir
        yield running


def file_part(path: str) -> dict:
    return {"path": path, "meta": {"_type": "gradio.FileData"}, "orig_name": "x.txt"}


def hostile_history(path: str) -> list:
    """Chat history as a browser could forge it, holding a file message."""
    return [
        {"role": "user", "content": [{"type": "file", "file": file_part(path)}]},
        {"role": "assistant", "content": [{"type": "text", "text": "好的"}]},
    ]


def hostile_inputs(components: dict, input_ids: list, path: str) -> list:
    """A value for each input of a handler: text where text is expected, and a forged
    file (or a history holding one) everywhere else."""
    values = []
    for component_id in input_ids:
        kind = components[component_id]["type"]
        if kind in ("textbox", "markdown", "code"):
            values.append("温县政府采购预留比例是多少？")
        elif kind == "chatbot":
            values.append(hostile_history(path))
        elif kind == "dropdown":
            values.append("全部")
        elif kind == "state":
            values.append(None)  # held by the server; what a browser sends is not used
        elif kind == "file":
            values.append([file_part(path)])
        else:
            values.append(file_part(path))
    return values


def run_every_handler(client: httpx.Client, mount: str, path: str) -> str:
    """Calls every event handler of the Gradio app at `mount` through the queue, as a
    browser does, with forged files for `path`; returns all that came back."""
    config = client.get(f"{mount}config").json()
    components = {c["id"]: c for c in config["components"]}
    received = []
    for fn_index, dependency in enumerate(config["dependencies"]):
        session = uuid.uuid4().hex[:11]
        join = client.post(
            f"{mount}gradio_api/queue/join",
            json={"data": hostile_inputs(components, dependency.get("inputs", []), path), "fn_index": fn_index,
                  "session_hash": session, "event_data": None, "trigger_id": dependency["targets"][0][0]},
        )
        received.append(join.text)
        if join.status_code != 200:
            continue
        with client.stream("GET", f"{mount}gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                received.append(line)
                if '"process_completed"' in line or '"close_stream"' in line:
                    break
    return "\n".join(received)


def fetch_file_urls(client: httpx.Client, text: str) -> list[str]:
    """Every file a response pointed to, fetched."""
    bodies = []
    for chunk in text.split('"'):
        if "gradio_api/file=" in chunk:
            url = chunk if chunk.startswith("http") else client.base_url.join(chunk)
            bodies.append(client.get(str(url)).text)
    return bodies


def test_forged_file_in_chat_history_never_reads_server_files(server, secret_files):
    targets = [str(secret_files), str(server.data_dir / "inside-secret.txt"), "/proc/self/environ", "/etc/passwd"]
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for mount in ("/", "/console/"):
            for target in targets:
                received = run_every_handler(client, mount, target)
                fetched = fetch_file_urls(client, received)
                leaked = [body for body in [received, *fetched] if SECRET in body or "root:x:0:0" in body]
                assert not leaked, f"{mount} handed out {target}"
                assert "PATH=" not in received and not any("PATH=" in body for body in fetched)


def test_files_outside_gradios_cache_are_not_served(server, secret_files):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for mount in ("/", "/console/"):
            for target in (secret_files, server.data_dir / "inside-secret.txt", "/etc/passwd"):
                response = client.get(f"{mount}gradio_api/file={target}")
                assert response.status_code in (403, 404), (mount, target, response.status_code)
                assert SECRET not in response.text and "root:x" not in response.text


def test_chat_page_still_answers_after_the_fix(server):
    """The page keeps the conversation on the server: a question asked through the page's
    own handler comes back answered, with the question shown as text."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        config = client.get("/config").json()
        components = {c["id"]: c for c in config["components"]}
        for fn_index, dependency in enumerate(config["dependencies"]):
            types = [components[i]["type"] for i in dependency["inputs"]]
            if "chatbot" in types or types[:1] != ["textbox"]:
                continue
            if "chatbot" not in [components[i]["type"] for i in dependency["outputs"]]:
                continue
            data = ["温县政府采购工程项目预留比例是多少？" if t == "textbox" else None for t in types]
            for i, t in enumerate(types):
                if t == "dropdown":
                    data[i] = "全部"
            session = uuid.uuid4().hex[:11]
            join = client.post("/gradio_api/queue/join", json={
                "data": data, "fn_index": fn_index, "session_hash": session, "event_data": None,
                "trigger_id": dependency["targets"][0][0]})
            assert join.status_code == 200, join.text
            lines = []
            with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
                for line in stream.iter_lines():
                    lines.append(line)
                    if '"process_completed"' in line:
                        break
            completed = json.loads(lines[-1][len("data: "):])
            assert completed["success"], completed
            assert "40%以上" in json.dumps(completed["output"], ensure_ascii=False)
            return
    pytest.fail("the chat page has no handler that takes the question and shows the chat")



def upload(client: httpx.Client, name: str, text: str) -> httpx.Response:
    return client.post("/api/documents", headers={"Authorization": f"Bearer {TOKEN}"},
                       files=[("files", (name, text.encode("utf-8"), "text/plain"))])


def test_a_different_file_never_replaces_a_stored_document(server):
    zheng = "郑州市人民政府办公厅\n一、支持措施\n（一）对首次认定的专精特新企业奖励30万元。\n"
    jin = "金华市人民政府办公室\n一、支持措施\n（一）对首次认定的专精特新企业奖励50万元。\n"
    with httpx.Client(base_url=server.url, timeout=120) as client:
        first = upload(client, "郑政〔2023〕12号.txt", zheng).json()["added"][0]
        second = upload(client, "金政〔2023〕12号.txt", jin).json()["added"][0]
        assert first["doc_id"] != second["doc_id"]
        assert first["doc_id"].startswith("zz-2023-12h") and second["doc_id"].startswith("jz-2023-12h")
        talent = "焦作市人力资源和社会保障局\n一、人才补贴\n（一）新引进博士每人每月生活补贴{}元。\n"
        third = upload(client, "policy(2023).txt", talent.format(3000)).json()["added"][0]
        fourth = upload(client, "Policy-2023.txt", talent.format(5000).replace("博士", "硕士")).json()["added"][0]
        assert third["doc_id"] != fourth["doc_id"]

        stored = {d["doc_id"]: d for d in client.get("/api/documents").json()}
        assert {first["doc_id"], second["doc_id"], third["doc_id"], fourth["doc_id"]} <= set(stored)

        # The same file name again is an update of that document, under its id.
        again = upload(client, "郑政〔2023〕12号.txt", zheng.replace("30万元", "40万元")).json()
        assert [u["doc_id"] for u in again["updated"]] == [first["doc_id"]]
        answer = client.post("/api/chat", json={"question": "金华专精特新企业首次认定奖励多少？"}).json()
        assert "50万元" in answer["answer"]

        for doc_id in (first["doc_id"], second["doc_id"], third["doc_id"], fourth["doc_id"]):
            assert client.delete(f"/api/documents/{doc_id}", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        kept = list((server.data_dir / "documents").glob("*")) if (server.data_dir / "documents").exists() else []
        assert not [p for p in kept if "政" in p.name or "olicy" in p.name], kept
