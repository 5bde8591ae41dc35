"""Domain errors of the knowledge base. Messages are shown to help-desk staff, so they
are in Chinese and say how to fix the problem."""

from __future__ import annotations


class KnowledgeError(Exception):
    """Base class: every error the knowledge base raises on purpose."""

    status = 500
    code = "knowledge_error"


class DocumentRejected(KnowledgeError):
    """A file cannot be ingested; the message names the file and the reason."""

    status = 400
    code = "document_rejected"

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason
        super().__init__(f"文件“{name}”无法入库：{reason}")


class EmbedderMismatch(KnowledgeError):
    """The index was built with another embedding model than the configured one."""

    code = "embedder_mismatch"

    def __init__(self, built_with: str, configured: str):
        self.built_with = built_with
        self.configured = configured
        super().__init__(
            f"知识库索引由向量模型“{built_with}”建立，当前配置的是“{configured}”，两者不能混用。"
            f"请运行 `huiqi ingest --rebuild` 用当前模型重新建立索引，"
            f"或把 HUIQI_EMBEDDER 改回 “{built_with}”。"
        )


class EmbedderUnavailable(KnowledgeError):
    """The configured embedding model cannot be loaded."""

    code = "embedder_unavailable"


class VectorStoreUnavailable(KnowledgeError):
    """Chroma (embedded or server) cannot be opened or reached."""

    status = 503
    code = "vector_store_unavailable"


class DocumentNotFound(KnowledgeError):
    """No document with this id is in the knowledge base."""

    status = 404
    code = "document_not_found"

    def __init__(self, doc_id: str):
        self.doc_id = doc_id
        # What the API's clients read: they have no command line to run the hint on.
        self.web_message = f"知识库中没有编号为“{doc_id}”的文件。"
        super().__init__(f"{self.web_message}可用 `huiqi docs list` 查看已入库文件。")
