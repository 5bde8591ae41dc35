"""The document library help-desk staff manage from the console and the API.

Every uploaded file is kept in `<data dir>/documents/` next to its metadata sidecar, so
a document can be re-indexed, or its metadata corrected, without uploading it again.
Bundled policies are read from the package until their metadata is first edited.
Files of a background upload wait in `<data dir>/documents/.jobs/<job id>/` until the
job has run, so a restarted server can run it again from them.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.errors import DocumentRejected
from knowledge.index import IngestReport, KnowledgeBase, bundled_policies
from knowledge.metadata import SIDECAR_FIELDS, SIDECAR_SUFFIX, parse_sidecar
from knowledge.models import StoredDocument

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FileStep:
    """Where an upload stands: file `index` (from 0) of `files`, `done` of its `clauses`
    embedded (0 of 0 while it is being read)."""

    index: int
    files: int
    name: str
    done: int
    clauses: int

    def describe(self) -> str:
        """The step as the console's progress bar says it."""
        where = f"第 {self.index + 1}/{self.files} 个文件“{self.name}”"
        return f"{where}：已向量化 {self.done}/{self.clauses} 条" if self.clauses else f"{where}：正在解析…"

    @property
    def fraction(self) -> float:
        """How far the whole upload is, 0–1."""
        return (self.index + (self.done / self.clauses if self.clauses else 0.0)) / max(self.files, 1)


FileProgress = Callable[[FileStep], None]
MAX_NAME_CHARS = 120
STAGING = ".jobs"


class DocumentLibrary:
    """Upload, list, remove, re-index documents and edit their metadata.

    Usage::

        library = DocumentLibrary(kb, Path(".huiqi"))
        library.upload([("新政策.txt", "一、总则\\n…".encode())]).added
        [('新政策', '新政策.txt', 1)]
    """

    def __init__(self, kb: KnowledgeBase, data_dir: Path) -> None:
        self.kb = kb
        self.folder = Path(data_dir) / "documents"

    def documents(self) -> list[StoredDocument]:
        return self.kb.documents()

    def upload(
        self, files: list[tuple[str, bytes]], on_progress: Progress | None = None, on_clauses: Progress | None = None,
        on_file: FileProgress | None = None,
    ) -> IngestReport:
        """Ingest uploaded files one by one; a `<name>.meta.yaml` among them is used as the
        sidecar of `<name>.*`. A rejected file is reported by name; the others go on.

        `on_progress` gets one bar over all files (of 1000); `on_clauses` the clauses
        embedded so far and the clauses of the files read so far; `on_file` where the
        file being read stands (`FileStep`), from its start to its last clause."""
        report = IngestReport()
        sidecars: dict[str, str] = {}
        documents: list[tuple[str, bytes]] = []
        for raw_name, data in files:
            try:
                name = safe_file_name(raw_name)
                if name.endswith(SIDECAR_SUFFIX):
                    text = _decode_sidecar(name, data)
                    parse_sidecar(text, name)
                    sidecars[name.removesuffix(SIDECAR_SUFFIX)] = text
                else:
                    documents.append((name, data))
            except DocumentRejected as exc:
                report.rejected.append((exc.name, exc.reason))
        total = len(documents)
        clauses = _ClauseCount(on_clauses)
        for index, (name, data) in enumerate(documents):
            stem = Path(name).stem
            sidecar = sidecars.get(stem)
            if sidecar is None and (self.folder / f"{stem}{SIDECAR_SUFFIX}").exists():
                sidecar = (self.folder / f"{stem}{SIDECAR_SUFFIX}").read_text(encoding="utf-8")
            step = _step_progress(on_progress, index, total)

            def both(done: int, count: int, step=step, index=index, name=name) -> None:
                if step:
                    step(done, count)
                clauses.update(done, count)
                if on_file:
                    on_file(FileStep(index, total, name, done, count))

            if on_file:
                on_file(FileStep(index, total, name, 0, 0))
            one = self.kb.ingest_bytes(name, data, sidecar, on_progress=both)
            clauses.next_file()
            if one.added or one.updated or one.unchanged:
                self._keep(name, data, sidecar if stem in sidecars else None)
            _merge(report, one)
        return report

    def stage(self, job_id: str, files: list[tuple[str, bytes]]) -> None:
        """Keep an upload's files for a background job, as they came (names are checked
        when the job runs): file i is stored as `i`, its name is kept with the job."""
        folder = self._staging(job_id)
        folder.mkdir(parents=True, exist_ok=True)
        for index, (_, data) in enumerate(files):
            (folder / str(index)).write_bytes(data)

    def staged(self, job_id: str, names: list[str]) -> list[tuple[str, bytes]] | None:
        """The staged files of a job, or None when they are not (all) on this machine."""
        folder = self._staging(job_id)
        paths = [folder / str(index) for index in range(len(names))]
        if not all(path.is_file() for path in paths):
            return None
        return [(name, path.read_bytes()) for name, path in zip(names, paths)]

    def unstage(self, job_id: str) -> None:
        shutil.rmtree(self._staging(job_id), ignore_errors=True)

    def _staging(self, job_id: str) -> Path:
        if not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", job_id):
            raise ValueError(f"job id must be URL-safe base64, got {job_id!r}")
        return self.folder / STAGING / job_id

    def remove(self, doc_id: str) -> StoredDocument:
        document = self.kb.remove(doc_id)
        for path in (self.folder / document.source, self.folder / f"{Path(document.source).stem}{SIDECAR_SUFFIX}"):
            path.unlink(missing_ok=True)
        return document

    def reindex(self, doc_id: str, on_progress: Progress | None = None) -> IngestReport:
        """Read the document's file again and re-embed every clause."""
        document = self.kb.document(doc_id)
        data, sidecar = self._source(document)
        return self.kb.ingest_bytes(document.source, data, sidecar, on_progress=on_progress, force=True)

    def metadata_text(self, doc_id: str) -> str:
        """The document's metadata as sidecar YAML, ready to edit."""
        document = self.kb.document(doc_id)
        fields = {key: getattr(document, key) for key in SIDECAR_FIELDS}
        return yaml.safe_dump(fields, allow_unicode=True, sort_keys=False)

    def metadata_fields(self, doc_id: str) -> dict[str, str]:
        """The document's editable metadata (every sidecar field but its id)."""
        document = self.kb.document(doc_id)
        return {key: getattr(document, key) or "" for key in SIDECAR_FIELDS if key != "doc_id"}

    def save_metadata_fields(
        self, doc_id: str, fields: dict[str, str], on_progress: Progress | None = None
    ) -> IngestReport:
        """Store metadata edited field by field (checked as a sidecar is), then ingest the
        document with it."""
        unknown = sorted(set(fields) - set(SIDECAR_FIELDS))
        if unknown:
            raise ValueError(f"unknown metadata fields {unknown}")
        text = yaml.safe_dump({k: (v or "").strip() for k, v in fields.items()}, allow_unicode=True, sort_keys=False)
        return self.save_metadata(doc_id, text, on_progress=on_progress)

    def save_metadata(self, doc_id: str, text: str, on_progress: Progress | None = None) -> IngestReport:
        """Validate and store an edited sidecar, then ingest the document with it."""
        document = self.kb.document(doc_id)
        name = f"{Path(document.source).stem}{SIDECAR_SUFFIX}"
        fields = parse_sidecar(text, name)
        if fields.get("doc_id", doc_id) != doc_id:
            raise DocumentRejected(name, "不能在这里修改文件编号（doc_id）；如需改编号，请删除后重新上传。")
        fields["doc_id"] = doc_id
        data, _ = self._source(document)
        sidecar = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False)
        report = self.kb.ingest_bytes(document.source, data, sidecar, on_progress=on_progress)
        if not report.rejected:
            self._keep(document.source, data, sidecar)
        return report

    def _source(self, document: StoredDocument) -> tuple[bytes, str | None]:
        for folder in (self.folder, bundled_policies()):
            path = folder / document.source
            if path.is_file():
                side = folder / f"{Path(document.source).stem}{SIDECAR_SUFFIX}"
                return path.read_bytes(), side.read_text(encoding="utf-8") if side.is_file() else None
        raise DocumentRejected(document.source, "找不到这份文件的原件，无法重新索引；请重新上传。")

    def _keep(self, name: str, data: bytes, sidecar: str | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_bytes(data)
        if sidecar is not None:
            (self.folder / f"{Path(name).stem}{SIDECAR_SUFFIX}").write_text(sidecar, encoding="utf-8")


def safe_file_name(name: str) -> str:
    """The last path component of an uploaded name, without control characters; a name
    that is empty or hidden afterwards is refused (no writing outside the library)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if not base or base.startswith(".") or base in ("..",):
        raise DocumentRejected(name or "（无名文件）", "文件名无效，请改用普通文件名后重试。")
    if len(base) > MAX_NAME_CHARS:
        raise DocumentRejected(base[:40] + "…", f"文件名超过 {MAX_NAME_CHARS} 个字符，请改短后重试。")
    return base


def _decode_sidecar(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentRejected(name, "元数据文件须为 UTF-8 编码。") from exc


def _step_progress(on_progress: Progress | None, index: int, total: int) -> Progress | None:
    """Progress of file `index` of `total`, reported as one bar over all files."""
    if on_progress is None:
        return None

    def report(done: int, count: int) -> None:
        fraction = (index + (done / count if count else 1.0)) / max(total, 1)
        on_progress(round(fraction * 1000), 1000)

    return report


class _ClauseCount:
    """Clauses embedded so far over several files, for `on_clauses`."""

    def __init__(self, on_clauses: Progress | None) -> None:
        self.on_clauses = on_clauses
        self.finished = 0
        self.current = 0

    def update(self, done: int, count: int) -> None:
        self.current = count
        if self.on_clauses:
            self.on_clauses(self.finished + done, self.finished + count)

    def next_file(self) -> None:
        self.finished += self.current
        self.current = 0


def _merge(into: IngestReport, one: IngestReport) -> None:
    into.added += one.added
    into.updated += one.updated
    into.unchanged += one.unchanged
    into.rejected += one.rejected
    into.warnings += one.warnings
    into.seconds += one.seconds
