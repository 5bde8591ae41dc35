"""Shared fixtures: an isolated data dir per test, no network beyond loopback, and one
knowledge base of the bundled policies per session (ingesting it embeds ~110 clauses)."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from knowledge.embeddings import E5SmallEmbedder  # noqa: E402
from knowledge.index import KnowledgeBase, KnowledgeConfig, bundled_policies  # noqa: E402

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX
        return True
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded(real):
    def connect(self, address):
        if not _is_loopback(address):
            raise OSError(f"test tried to reach the network: {address!r}")
        return real(self, address)

    return connect


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Only loopback connections; a test that reaches the network is a bug."""
    monkeypatch.setattr(socket.socket, "connect", _guarded(_real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded(_real_connect_ex))


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    data_dir = tmp_path / "huiqi-data"
    monkeypatch.setenv("HUIQI_DATA_DIR", str(data_dir))
    monkeypatch.delenv("HUIQI_CHROMA_URL", raising=False)
    monkeypatch.delenv("HUIQI_EMBEDDER", raising=False)
    monkeypatch.chdir(tmp_path)
    return data_dir


@pytest.fixture(scope="session")
def e5() -> E5SmallEmbedder:
    embedder = E5SmallEmbedder()
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="session")
def bundled_data_dir(tmp_path_factory, e5) -> Path:
    """A data dir holding the bundled corpus, ingested once per session (read-only use)."""
    data_dir = tmp_path_factory.mktemp("bundled") / "data"
    kb = KnowledgeBase.open(KnowledgeConfig(data_dir=data_dir), embedder=e5)
    report = kb.ingest()
    assert not report.rejected, report.rejected
    kb.registry.close()
    return data_dir


CORPORA = Path(__file__).resolve().parent.parent / "evals" / "corpora"


@pytest.fixture(scope="session")
def corpus_data_dir(tmp_path_factory, bundled_data_dir, e5) -> Path:
    """The bundled policies plus the Liaoning corpus (22 real Word files), ingested once
    per session (read-only use): the knowledge base the evals and the region chain run on."""
    data_dir = tmp_path_factory.mktemp("corpus") / "data"
    shutil.copytree(bundled_data_dir, data_dir)
    kb = KnowledgeBase.open(KnowledgeConfig(data_dir=data_dir), embedder=e5)
    report = kb.ingest(sorted((CORPORA / "liaoning").glob("*.docx")))
    assert len(report.added) == 22 and not report.rejected, report.rejected
    kb.registry.close()
    return data_dir


@pytest.fixture
def corpus_env(corpus_data_dir, tmp_path, monkeypatch) -> Path:
    """A writable copy of the bundled + Liaoning data dir, set as HUIQI_DATA_DIR."""
    data_dir = tmp_path / "corpus-copy"
    shutil.copytree(corpus_data_dir, data_dir)
    monkeypatch.setenv("HUIQI_DATA_DIR", str(data_dir))
    return data_dir


@pytest.fixture(scope="session")
def bundled_kb(bundled_data_dir, e5) -> KnowledgeBase:
    return KnowledgeBase.open(KnowledgeConfig(data_dir=bundled_data_dir), embedder=e5)


@pytest.fixture
def kb_copy(bundled_data_dir, tmp_path, e5) -> KnowledgeBase:
    """A private, writable copy of the bundled knowledge base."""
    data_dir = tmp_path / "kb-copy"
    shutil.copytree(bundled_data_dir, data_dir)
    return KnowledgeBase.open(KnowledgeConfig(data_dir=data_dir), embedder=e5)


@pytest.fixture
def policies_copy(tmp_path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(bundled_policies(), target)
    return target


@pytest.fixture
def bundled_env(bundled_data_dir, tmp_path, monkeypatch) -> Path:
    """A writable copy of the bundled data dir, set as HUIQI_DATA_DIR (for CLI tests)."""
    data_dir = tmp_path / "bundled-copy"
    shutil.copytree(bundled_data_dir, data_dir)
    monkeypatch.setenv("HUIQI_DATA_DIR", str(data_dir))
    return data_dir


def bundled_clauses() -> int:
    """How many clauses the bundled policies make, read the way ingest reads them."""
    from knowledge.index import bundled_policies
    from knowledge.loaders import SUPPORTED_EXTENSIONS, read_file
    from knowledge.metadata import build_document, read_sidecar
    from knowledge.outline import parse_clauses

    return sum(
        len(parse_clauses(build_document(read_file(path), read_sidecar(path))))
        for path in bundled_policies().iterdir() if path.suffix in SUPPORTED_EXTENSIONS
    )


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's), one per test module."""
    from playwright.sync_api import sync_playwright

    from tests.web import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


PAGE_WAIT_MS = 60_000


@pytest.fixture
def open_page(browser):
    """Opens a page in a fresh context (`phone=True`: 390×844 with touch); all are closed
    after the test."""
    contexts = []

    def opener(width: int = 1280, height: int = 900, phone: bool = False, **options):
        if phone:
            width, height, options = 390, 844, {"is_mobile": True, "has_touch": True, **options}
        options = {"locale": "zh-CN", **options}
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        opened = context.new_page()
        opened.set_default_timeout(PAGE_WAIT_MS)
        return opened

    yield opener
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    return open_page()
