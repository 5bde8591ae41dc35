"""Large uploads as background jobs, through real HTTP on 127.0.0.1: answered 202 at once,
other writes go on while the job embeds, the job ends with its document searchable, a
job left running by a dead process is resumed (or failed) on restart with the registry
and Chroma in agreement, and only one worker ever claims a job."""

from __future__ import annotations

import shutil
import threading
import time

import httpx
import numpy as np
import pytest
from sqlalchemy import update

from assistant.config import Settings
from assistant.jobs import MAX_ATTEMPTS, JobStore, jobs_table
from assistant.service import Assistant
from knowledge.index import KnowledgeBase
from tests.web import AppServer
from ui.app import create_app

TOKEN = "jobs-admin-token-7c41d"
THRESHOLD_KB = 16
CLAUSES = 400
SMALL_POLICY = (
    "关于支持中牟县企业上云的通知\n中牟县工业和信息化局\n"
    "一、上云奖励\n对首次上云的中小企业，给予每家3万元的一次性奖励。\n"
)


def large_policy(topic: str = "园区") -> bytes:
    """A policy of CLAUSES numbered clauses (~50 KB), one of them about hydrogen trucks."""
    lines = [f"关于支持惠济区{topic}企业高质量发展的若干措施", "惠济区人民政府"]
    for n in range(1, CLAUSES + 1):
        lines.append(f"第{n}条 对入驻第{n}号{topic}并完成年度目标的企业，给予{n * 3}万元一次性奖励，奖励资金由区财政列支。")
    lines[250] = "第249条 对开展氢能重卡示范运营的企业，按每辆车12万元给予运营奖励。"
    return "\n".join(lines).encode("utf-8")


def admin() -> dict:
    return {"Authorization": f"Bearer {TOKEN}"}


def build_app(data_dir, e5):
    settings = Settings(data_dir=data_dir, admin_token=TOKEN, job_threshold_kb=THRESHOLD_KB,
                        rate_limit="off", rate_limit_per_ip="off")
    kb = KnowledgeBase.open(settings.knowledge_config(), embedder=e5)
    return create_app(settings, Assistant.open(settings, kb=kb))


@pytest.fixture
def data_dir(bundled_data_dir, tmp_path):
    target = tmp_path / "jobs-data"
    shutil.copytree(bundled_data_dir, target)
    return target


def wait_for(api: httpx.Client, url: str, done, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.get(url, headers=admin()).json()
        if done(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job never reached the state awaited: {job}")


def test_a_large_upload_answers_at_once_and_other_writes_go_on(data_dir, e5):
    with AppServer(build_app(data_dir, e5)) as server, httpx.Client(base_url=server.url, timeout=120) as api:
        small = api.post("/api/documents", headers=admin(), files=[("files", ("zhongmou-cloud.txt", SMALL_POLICY.encode()))])
        assert small.status_code == 200 and small.json()["added"], small.text

        started = time.monotonic()
        response = api.post("/api/documents", headers=admin(), files=[("files", ("huiji-parks.txt", large_policy()))])
        to_202 = time.monotonic() - started
        assert response.status_code == 202, response.text
        body = response.json()
        assert set(body) == {"job_id", "status", "url"} and body["status"] == "queued"
        assert body["url"] == f"/api/jobs/{body['job_id']}" == response.headers["location"]
        assert len(body["job_id"]) >= 22  # random and unguessable
        assert to_202 < 5

        # While the job embeds, a removal and a small upload are answered; the job is still running after both.
        wait_for(api, body["url"], lambda job: job["status"] == "running" and job["progress"]["done"] > 0)
        started = time.monotonic()
        removed = api.delete("/api/documents/zhongmou-cloud", headers=admin())
        delete_s = time.monotonic() - started
        assert removed.status_code == 200, removed.text
        started = time.monotonic()
        other = api.post("/api/documents", headers=admin(), files=[
            ("files", ("zhongmou-cloud-2024.txt", SMALL_POLICY.replace("3万元", "5万元").encode())),
        ])
        upload_s = time.monotonic() - started
        assert other.status_code == 200 and other.json()["added"], other.text
        during = api.get(body["url"], headers=admin()).json()
        assert during["status"] == "running", during
        assert 0 < during["progress"]["done"] < during["progress"]["total"] == CLAUSES

        job = wait_for(api, body["url"], lambda job: job["status"] in ("done", "failed"))
        job_s = time.monotonic() - started + upload_s
        print(f"\n202 after {to_202:.2f} s; during the job: delete {delete_s:.2f} s, small upload {upload_s:.2f} s;"
              f" job finished {job_s:.1f} s after the delete began")
        assert job["status"] == "done" and job["error"] is None, job
        assert job["progress"] == {"done": CLAUSES, "total": CLAUSES}
        assert job["result"]["added"] == [{"doc_id": "huiji-parks", "file": "huiji-parks.txt", "chunks": CLAUSES}]
        assert job["files"] == ["huiji-parks.txt"] and job["created_at"] <= job["updated_at"]

        health = api.get("/healthz").json()
        assert health["clauses"] == health["vectors"]
        documents = {d["doc_id"] for d in api.get("/api/documents").json()}
        assert {"huiji-parks", "zhongmou-cloud-2024"} <= documents and "zhongmou-cloud" not in documents
        kb = server.app.state.assistant.kb
        hits = kb.lexical_search("氢能重卡示范运营 每辆车 奖励", k=3) + kb.dense_search("氢能重卡示范运营奖励多少", k=3)
        assert any(h.document.doc_id == "huiji-parks" and "12万元" in h.clause.text for h in hits)


def test_jobs_need_the_token_and_unknown_ids_are_404(data_dir, e5):
    with AppServer(build_app(data_dir, e5)) as server, httpx.Client(base_url=server.url, timeout=60) as api:
        response = api.post("/api/documents", headers=admin(), files=[("files", ("huiji-parks.txt", large_policy()))])
        url = response.json()["url"]
        missing = api.get(url)
        assert missing.status_code == 401 and "管理令牌" in missing.json()["error"]["message"]
        assert api.get(url, headers={"Authorization": "Bearer nope"}).status_code == 403
        for unknown in ("AAAAAAAAAAAAAAAAAAAAAAAA", "short", "%00", "a%2Fb", "x" * 300):
            gone = api.get(f"/api/jobs/{unknown}", headers=admin())
            assert gone.status_code == 404 and gone.json()["error"]["code"] in ("job_not_found", "not_found")
        assert "任务" in api.get("/api/jobs/AAAAAAAAAAAAAAAAAAAAAAAA", headers=admin()).json()["error"]["message"]
        wait_for(api, url, lambda job: job["status"] == "done")


def test_jobs_left_running_by_a_dead_process_are_resumed_or_failed_on_restart(data_dir, e5):
    app = build_app(data_dir, e5)  # not served yet: its worker is not running
    jobs, kb = app.state.jobs, app.state.assistant.kb
    jobs.store.open()
    resumed = jobs.submit([("huiji-parks.txt", large_policy())])
    given_up = jobs.submit([("huiji-labs.txt", large_policy("实验室"))])
    # What a process killed in the middle of the first job's commit leaves: the job
    # running under a dead owner, a pending mark and orphan vectors in Chroma.
    long_ago = time.time() - 3600
    with kb.registry.engine.connect().execution_options(write=True) as conn, conn.begin():
        for job, attempts in ((resumed, 1), (given_up, MAX_ATTEMPTS)):
            conn.execute(update(jobs_table).where(jobs_table.c.job_id == job.job_id).values(
                status="running", owner="elsewhere:1:dead", attempts=attempts, updated_at=long_ago))
    kb.registry.mark_pending("huiji-parks")
    orphans = [f"huiji-parks:{n}@deadbeef0000" for n in range(20)]
    kb.vectors.upsert(orphans, np.random.default_rng(1).random((20, 384), dtype=np.float32),
                      [{"doc_id": "huiji-parks", "doc_hash": "deadbeef0000", "clause_id": vid.split("@")[0],
                        "region": "", "issuer": "", "level": "", "date": 0} for vid in orphans])

    with AppServer(app) as server, httpx.Client(base_url=server.url, timeout=60) as api:
        job = wait_for(api, f"/api/jobs/{resumed.job_id}", lambda job: job["status"] in ("done", "failed"))
        assert job["status"] == "done", job
        assert job["result"]["added"][0]["doc_id"] == "huiji-parks"
        failed = api.get(f"/api/jobs/{given_up.job_id}", headers=admin()).json()
        assert failed["status"] == "failed" and "中断" in failed["error"] and "没有任何部分入库" in failed["error"]
        documents = {d["doc_id"]: d["chunks"] for d in api.get("/api/documents").json()}
        assert documents["huiji-parks"] == CLAUSES and "huiji-labs" not in documents
        health = api.get("/healthz").json()
        assert health["clauses"] == health["vectors"]


def test_only_one_worker_claims_a_job(data_dir, e5):
    app = build_app(data_dir, e5)
    store = JobStore(app.state.assistant.kb.registry.engine)
    store.open()
    job = store.create("upload", ["a.txt"])
    winners: list[str] = []
    barrier = threading.Barrier(6)

    def worker(name: str) -> None:
        barrier.wait()
        if store.claim(job.job_id, name):
            winners.append(name)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert store.get(job.job_id).status == "running"


def test_embedding_holds_no_write_lock(kb_copy):
    """A removal completes while an upload is stopped in the middle of its embedding."""
    embedding = threading.Event()
    release = threading.Event()

    def hold(done: int, total: int) -> None:
        if done:
            embedding.set()
            release.wait(60)

    upload = threading.Thread(target=kb_copy.ingest_bytes, args=("huiji-parks.txt", large_policy()),
                              kwargs={"on_progress": hold})
    upload.start()
    try:
        assert embedding.wait(60)
        doc_id = kb_copy.documents()[0].doc_id
        removal = threading.Thread(target=kb_copy.remove, args=(doc_id,))
        removal.start()
        removal.join(30)
        assert not removal.is_alive(), "a removal waited for another upload's embedding"
    finally:
        release.set()
        upload.join(120)
    assert "huiji-parks" in {d.doc_id for d in kb_copy.documents()}


def test_the_console_follows_a_large_upload_until_its_result(data_dir, e5):
    from tests.test_security import handler_index, run_queued

    with AppServer(build_app(data_dir, e5)) as server, httpx.Client(base_url=server.url, timeout=120) as console:
        assert console.post("/console/login", data={"token": TOKEN}).status_code == 303
        [path] = console.post("/console/gradio_api/upload",
                              files=[("files", ("huiji-parks.txt", large_policy()))]).json()
        session = "jobsconsole01"
        started = time.monotonic()
        _, upload = run_queued(console, handler_index(console, "on_upload"),
                               [[{"path": path, "meta": {"_type": "gradio.FileData"}, "orig_name": "huiji-parks.txt"}]],
                               session)
        answered_s = time.monotonic() - started
        assert upload["success"], upload
        assert "后台入库" in upload["output"]["data"][2] and answered_s < 10
        tick = handler_index(console, "on_job_tick")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            _, message = run_queued(console, tick, [None], session)
            note = message["output"]["data"][2]
            if isinstance(note, str) and "已入库" in note:
                break
            time.sleep(0.5)
        else:
            raise AssertionError("the console never showed the job's result")
        assert f"{CLAUSES} 条" in note and "parks" in note
