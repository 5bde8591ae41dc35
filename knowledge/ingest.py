"""The write side of the knowledge base: files in, clauses and vectors stored, kept in step.

Ingest reads and embeds every file before it writes anything. A changed document is
swapped in as a unit: its new vectors are added under new ids, the registry switches
to the new clauses in one transaction, then the old vectors go. A crash at any point
leaves a `pending` mark that `recover()` uses to delete orphan vectors, so the
registry, Chroma and BM25 always agree.

Reading, chunking and embedding hold no lock; only a document's swap-in takes the write
lock, after checking again what changed meanwhile. So a large upload makes other writes
wait at most one document's commit, never its embedding.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np

from knowledge.benefits import benefits_json, document_benefits
from knowledge.embeddings import Embedder
from knowledge.errors import DocumentNotFound, DocumentRejected
from knowledge.lexical import Tokenizer
from knowledge.loaders import load_bytes, read_file
from knowledge.metadata import SIDECAR_SUFFIX, build_document, doc_id_for, parse_sidecar, read_sidecar
from knowledge.models import Clause, PolicyDocument, StoredDocument, hash_tag, vector_id
from knowledge.outline import parse_clauses
from knowledge.registry import Registry
from knowledge.search import embedding_text, lexical_text
from knowledge.vectors import ChromaStore

# Bump when loaders, metadata or chunking change what a file turns into, so that an
# unchanged file is re-chunked once.
PIPELINE_VERSION = "2"
EMBED_BATCH = 32
Progress = Callable[[int, int], None]


def bundled_policies() -> Path:
    """The directory of policy documents shipped with huiqi."""
    return Path(str(resources.files("knowledge").joinpath("policies")))


@dataclass
class IngestReport:
    """入库结果：新增、更新、未变化与被拒绝的文件。"""

    added: list[tuple[str, str, int]] = field(default_factory=list)
    """(doc_id, 文件名, 条款数)"""
    updated: list[tuple[str, str, int]] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    """(doc_id, 文件名)"""
    rejected: list[tuple[str, str]] = field(default_factory=list)
    """(文件名, 中文原因)"""
    warnings: list[tuple[str, str]] = field(default_factory=list)
    """(文件名, 中文提示)：已入库，但有需要帮办人员核对的问题"""
    seconds: float = 0.0

    @property
    def chunks(self) -> int:
        return sum(n for _, _, n in self.added + self.updated)


@dataclass
class _Prepared:
    document: PolicyDocument
    content_hash: str
    clauses: list[Clause]
    tokens: list[list[str]]
    replaces: bool
    vectors: object = None
    benefits: list[str] | None = None
    """Each clause's benefit items (knowledge.benefits), as JSON."""


class Ingestor:
    """Stores, replaces and removes documents in the registry and Chroma together."""

    def __init__(
        self, registry: Registry, vectors: ChromaStore, embedder: Embedder, tokenizer: Tokenizer,
        max_file_bytes: int, max_chunk_tokens: int,
    ) -> None:
        self.registry = registry
        self.vectors = vectors
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.max_file_bytes = max_file_bytes
        self.max_chunk_tokens = max_chunk_tokens
        self._write_lock = threading.Lock()

    def recover(self) -> None:
        """Finish what an interrupted ingest or removal left: drop orphan vectors."""
        for doc_id in self.registry.pending():
            current = self.registry.content_hash(doc_id)
            self.vectors.delete_document(doc_id, keep_hash=hash_tag(current) if current else None)
            self.registry.clear_pending(doc_id)

    def ingest(self, paths: Iterable[Path] | None = None, on_progress: Progress | None = None) -> IngestReport:
        """Ingest files and directories (recursively); default: the bundled policies.

        Unchanged documents are skipped; a rejected file is reported by name and the
        rest of the batch goes on.
        """
        started = time.perf_counter()
        report = IngestReport()
        prepared: list[_Prepared] = []
        seen: dict[str, str] = {}
        for path in expand_paths(list(paths) if paths is not None else [bundled_policies()], report):
            try:
                loaded = read_file(path, self.max_file_bytes)
                item = self._prepare(build_document(loaded, read_sidecar(path)), report, seen)
            except DocumentRejected as exc:
                report.rejected.append((exc.name, str(exc)))
                continue
            if item is not None:
                prepared.append(item)
        self._store(prepared, report, on_progress)
        report.seconds = time.perf_counter() - started
        return report

    def ingest_bytes(
        self, name: str, data: bytes, sidecar_text: str | None = None,
        on_progress: Progress | None = None, force: bool = False,
    ) -> IngestReport:
        """Ingest one uploaded file (the console and API path); `force` re-embeds it even
        when unchanged (re-indexing)."""
        started = time.perf_counter()
        report = IngestReport()
        try:
            sidecar = parse_sidecar(sidecar_text, name) if sidecar_text else {}
            loaded = load_bytes(name, data, self.max_file_bytes)
            item = self._prepare(build_document(loaded, sidecar), report, {}, force=force)
        except DocumentRejected as exc:
            report.rejected.append((exc.name, str(exc)))
            item = None
        self._store([item] if item is not None else [], report, on_progress, force=force)
        report.seconds = time.perf_counter() - started
        return report

    def ingest_vectors(self, document: PolicyDocument, clauses: list[Clause], vectors: np.ndarray,
                       tokens: list[list[str]] | None = None) -> None:
        """Store a document whose clauses were split and embedded elsewhere (synthetic
        benchmark corpora); the same swap-in as `ingest`. `tokens`, when given, are each
        clause's `lexical_text` already tokenized."""
        if len(clauses) != len(vectors) or (tokens is not None and len(tokens) != len(clauses)):
            raise ValueError(f"{len(clauses)} clauses but {len(vectors)} vectors")
        if tokens is None:
            tokens = [self.tokenizer.tokenize(lexical_text(c)) for c in clauses]
        item = _Prepared(document, fingerprint(document, self.max_chunk_tokens), clauses, tokens,
                         replaces=False, vectors=np.asarray(vectors, dtype=np.float32))
        with self._write_lock:
            self._commit(item)

    def remove(self, doc_id: str) -> StoredDocument:
        """Delete a document from the registry, Chroma and BM25."""
        with self._write_lock:
            document = self.registry.document(doc_id)
            if document is None:
                raise DocumentNotFound(doc_id)
            self._ready_to_write()
            self.registry.mark_pending(doc_id)
            self.registry.remove_document(doc_id)
            self.vectors.delete_document(doc_id)
            self.registry.clear_pending(doc_id)
        return document

    def _prepare(
        self, document: PolicyDocument, report: IngestReport, seen: dict[str, str], force: bool = False
    ) -> _Prepared | None:
        if document.doc_id in seen:
            raise DocumentRejected(
                document.source, f"与同批文件“{seen[document.doc_id]}”的文件编号 {document.doc_id} 相同，请改名后重试。"
            )
        document = self._claim_id(document)
        seen[document.doc_id] = document.source
        report.warnings += [(document.source, warning) for warning in document.warnings]
        content_hash = fingerprint(document, self.max_chunk_tokens)
        existing = self.registry.content_hash(document.doc_id)
        if existing == content_hash and not force:
            report.unchanged.append((document.doc_id, document.source))
            return None
        clauses = parse_clauses(document, self.max_chunk_tokens)
        if not clauses:
            raise DocumentRejected(document.source, "没有解析出任何条款。")
        tokens = [self.tokenizer.tokenize(lexical_text(c)) for c in clauses]
        benefits = [benefits_json(items) for items in document_benefits(clauses, document)]
        return _Prepared(document, content_hash, clauses, tokens, replaces=existing is not None, benefits=benefits)

    def _claim_id(self, document: PolicyDocument) -> PolicyDocument:
        """The id this document is stored under. A file of the same name as a stored one
        updates it (under the id it was stored with); a different file whose name derives
        an id already taken is refused, never silently put in the other's place."""
        if document.doc_id != doc_id_for(document.source):
            return document  # the id was set explicitly in a sidecar: the uploader's choice
        same_file = self.registry.doc_id_of_source(document.source)
        if same_file:
            return replace(document, doc_id=same_file)
        holder = self.registry.document(document.doc_id)
        if holder is not None:
            raise DocumentRejected(
                document.source,
                f"文件编号 {document.doc_id} 已被《{holder.title}》（文件“{holder.source}”）使用；"
                "为免覆盖不同的文件，请改名后重新上传，或在同名 .meta.yaml 中指定 doc_id。",
            )
        return document

    def _store(
        self, prepared: list[_Prepared], report: IngestReport, on_progress: Progress | None, force: bool = False
    ) -> None:
        """Embed everything first (no lock), then swap documents in one by one, each under
        the write lock."""
        if prepared:
            self.vectors.count()  # a Chroma server that is down fails here, before the embedding work
        self._embed(prepared, on_progress)
        for item in prepared:
            try:
                with self._write_lock:
                    self._ready_to_write()
                    if not self._still_wanted(item, force):
                        report.unchanged.append((item.document.doc_id, item.document.source))
                        continue
                    self._commit(item)
            except DocumentRejected as exc:
                report.rejected.append((exc.name, str(exc)))
                continue
            entry = (item.document.doc_id, item.document.source, len(item.clauses))
            (report.updated if item.replaces else report.added).append(entry)

    def _still_wanted(self, item: _Prepared, force: bool) -> bool:
        """Under the write lock: whether a document prepared without it is still to be
        stored, as prepared. Another write may have stored the same content, removed the
        document, or given its id to another file in the meantime."""
        claimed = self._claim_id(item.document)
        if claimed.doc_id != item.document.doc_id:
            raise DocumentRejected(
                item.document.source, f"入库期间文件编号已改为 {claimed.doc_id}，请重新上传这份文件。"
            )
        existing = self.registry.content_hash(item.document.doc_id)
        if existing == item.content_hash and not force:
            return False
        item.replaces = existing is not None
        return True

    def _embed(self, prepared: list[_Prepared], on_progress: Progress | None) -> None:
        total = sum(len(item.clauses) for item in prepared)
        done = 0
        if on_progress:
            on_progress(0, total)
        for item in prepared:
            texts = [embedding_text(item.document, c) for c in item.clauses]
            parts = []
            for start in range(0, len(texts), EMBED_BATCH):
                parts.append(self.embedder.embed_passages(texts[start:start + EMBED_BATCH]))
                done += len(parts[-1])
                if on_progress:
                    on_progress(done, total)
            item.vectors = np.vstack(parts)

    def _ready_to_write(self) -> None:
        """Before changing anything: the vector store answers (a Chroma server that is down
        fails the write here, with nothing changed), and leftovers of an earlier failed
        write are cleaned up."""
        self.vectors.count()
        self.recover()

    def _commit(self, item: _Prepared) -> None:
        document = item.document
        vector_ids = [vector_id(c.clause_id, item.content_hash) for c in item.clauses]
        date_number = int(document.date.replace("-", "")) if document.date else 0
        metadatas = [
            {
                "doc_id": document.doc_id, "doc_hash": hash_tag(item.content_hash), "clause_id": c.clause_id,
                "region": document.region, "issuer": document.issuer, "level": document.level,
                "date": date_number,
            }
            for c in item.clauses
        ]
        self.registry.mark_pending(document.doc_id)
        self.vectors.upsert(vector_ids, item.vectors, metadatas)
        self.registry.replace_document(
            document, item.content_hash, item.clauses, vector_ids, item.tokens, item.benefits
        )
        self.vectors.delete_document(document.doc_id, keep_hash=hash_tag(item.content_hash))
        self.registry.clear_pending(document.doc_id)


def fingerprint(document: PolicyDocument, max_chunk_tokens: int) -> str:
    payload = json.dumps(
        [PIPELINE_VERSION, max_chunk_tokens, document.__dict__], ensure_ascii=False, sort_keys=True
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def expand_paths(paths: list[Path], report: IngestReport) -> list[Path]:
    """Files to ingest: directories recursively, sidecars and hidden files skipped."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if child.is_file() and not any(part.startswith(".") for part in relative):
                    if not child.name.endswith(SIDECAR_SUFFIX):
                        files.append(child)
        elif path.is_file():
            files.append(path)
        else:
            report.rejected.append((str(path), f"文件“{path}”无法入库：路径不存在。"))
    return files
