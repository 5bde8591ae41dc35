"""Value objects of the knowledge base: documents, clauses and retrieval hits."""

from __future__ import annotations

from dataclasses import dataclass, field

LEVELS = ("国家", "省", "市", "区县")
HASH_TAG_LENGTH = 12


def hash_tag(content_hash: str) -> str:
    """The short form of a document's content hash that its vector ids carry."""
    return content_hash[:HASH_TAG_LENGTH]


def vector_id(clause_id: str, content_hash: str) -> str:
    """The id of a clause's vector: the clause id plus the version of its document, so a
    changed document's new vectors can be added before the old ones go.

    Example:
        >>> vector_id("demo:2.1", "0123456789abcdef")
        'demo:2.1@0123456789ab'
        >>> doc_id_of_vector("demo:2.1@0123456789ab")
        'demo'
    """
    return f"{clause_id}@{hash_tag(content_hash)}"


def doc_id_of_vector(vector_id: str) -> str:
    """The document a vector id belongs to (clause ids start with the doc id and a colon)."""
    return vector_id.split(":", 1)[0]


def of_version(vector_id: str, versions: dict[str, str]) -> bool:
    """True when `vector_id` belongs to the version of its document given in `versions`
    ({doc id: content hash}).

    Example:
        >>> of_version("demo:2.1@0123456789ab", {"demo": "0123456789abcdef"})
        True
        >>> of_version("demo:2.1@0123456789ab", {"demo": "ffff"})
        False
    """
    content_hash = versions.get(doc_id_of_vector(vector_id))
    return content_hash is not None and vector_id.endswith("@" + hash_tag(content_hash))


@dataclass(frozen=True)
class PolicyDocument:
    """政策文件：一份文件的正文与元数据。

    Example:
        >>> doc = PolicyDocument(doc_id="demo", title="示例", text="一、总则")
        >>> doc.title
        '示例'
    """

    doc_id: str
    """文件编号（知识库内唯一，ASCII）。"""
    title: str
    """标题。"""
    text: str
    """规范化后的正文；条款的 start/end 都指向这里。"""
    doc_number: str = ""
    """文号，如 惠政办〔2022〕4号。"""
    issuer: str = ""
    """发布机构。"""
    date: str = ""
    """成文日期 YYYY-MM-DD，未知时为空。"""
    region: str = ""
    """适用地区，如 郑州市。"""
    level: str = ""
    """层级：国家 / 省 / 市 / 区县。"""
    source: str = ""
    """来源文件名。"""
    validity: str = ""
    """文件自述的施行与有效期，如“自2019年3月1日起施行，有效期四年”。"""
    warnings: tuple[str, ...] = ()
    """读取时发现的问题（未识别地区、自动编号缺失…），入库报告中列出，不存储。"""


@dataclass(frozen=True)
class Clause:
    """条款：引用的最小单位。

    Example:
        >>> c = Clause("demo:1", "demo", "一、总则", "一、总则。", 0, 5, 0)
        >>> c.clause_path
        '一、总则'
    """

    clause_id: str
    """条款编号，同一文本重复入库时保持不变，如 wenxian-plan:2.1.4。"""
    doc_id: str
    """所属文件编号。"""
    clause_path: str
    """标题路径，如 “二、重点任务 > (一)聚力打造先进链群”。"""
    text: str
    """条款原文（等于 document.text[start:end]）。"""
    start: int
    """在文件正文中的起始字符位置。"""
    end: int
    """在文件正文中的结束字符位置（不含）。"""
    ordinal: int
    """在文件中的顺序号。"""

    @property
    def parent_path(self) -> str:
        """The path of the article the clause is an item of ("第一条 认定条件" for its
        "（一）…"); "" for a clause at the top of its document.

        Example:
            >>> Clause("d:1.1", "d", "一、总则 > （一）范围", "", 0, 0, 0).parent_path
            '一、总则'
        """
        return self.clause_path.rsplit(" > ", 1)[0] if " > " in self.clause_path else ""


@dataclass(frozen=True)
class StoredDocument:
    """已入库文件：元数据加入库信息（不含正文）。"""

    doc_id: str
    title: str
    doc_number: str
    issuer: str
    date: str
    region: str
    level: str
    source: str
    chunks: int
    """条款块数。"""
    content_hash: str
    """内容指纹，用于跳过未变化的文件。"""
    validity: str = ""
    """文件自述的施行与有效期。"""

    def as_json(self) -> dict:
        """The `huiqi docs list --json` shape."""
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "doc_number": self.doc_number,
            "issuer": self.issuer,
            "date": self.date,
            "region": self.region,
            "level": self.level,
            "source": self.source,
            "chunks": self.chunks,
            "validity": self.validity,
        }


@dataclass(frozen=True)
class ClauseHit:
    """检索命中：条款、所属文件与各路得分。"""

    clause: Clause
    document: StoredDocument
    score: float
    """最终得分（融合后）。"""
    scores: dict[str, float] = field(default_factory=dict)
    """各路得分，如 {"dense": 0.83, "bm25": 7.1, "fused": 0.03}。"""
