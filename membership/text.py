"""Text features of the membership recommender: char n-gram TF-IDF of each firm's products, name and other text
(TextFeatures), the segments' own documents (name, keywords, parent) for the zero-shot signal, and the firms'
main-product documents. Statistics are computed over all enterprises' text, never over labels."""
from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.preprocessing import normalize

from membership.dataset import Dataset

_LEGAL_FORM = re.compile(r"股份有限公司|有限责任公司|有限公司|集团|控股|股份|公司")
_LEVEL_MARK = re.compile(r"[ⅠⅡⅢⅣ]+$")


# --------------------------------------------------------------------- text
class TextFeatures:
    """Enterprise text → one sparse TF-IDF matrix (L2-normalised blocks, weighted, side by side).

    Blocks: short name (char 1–2), other text columns with legal-form words removed (char 1–2), products (char
    `ngram_range` counts of each product name, summed over the firm's products with weight
    (clip(share, 0, 1) + 0.05) ** `product_weight_power`; optionally plus the products linked to them in
    product_links), and whole product names as tokens. `transform_segments` puts segment documents into the
    name and product spaces, for the zero-shot signal.
    """

    def __init__(self, *, name_weight: float, text_weight: float, product_weight: float, product_token_weight: float,
                 product_weight_power: float, product_link_weight: float, ngram_range: tuple[int, int], min_df: int):
        self.name_weight = name_weight
        self.text_weight = text_weight
        self.product_weight = product_weight
        self.product_token_weight = product_token_weight
        self.product_weight_power = product_weight_power
        self.product_link_weight = product_link_weight
        self.ngram_range = ngram_range
        self.min_df = min_df

    def fit_transform(self, ds: Dataset) -> sp.csr_matrix:
        n = ds.n_enterprises
        blocks: list[sp.spmatrix] = []
        self.name_vec_: TfidfVectorizer | None = None
        self.product_vec_: CountVectorizer | None = None
        self.name_block_: sp.csr_matrix | None = None
        self.product_block_: sp.csr_matrix | None = None
        names = [str(x) for x in ds.enterprise_names]
        if self.name_weight > 0:
            self.name_vec_, self.name_block_ = _char_tfidf(names, (1, 2), self.min_df)
            blocks.append(self.name_weight * self.name_block_)
        other = [_LEGAL_FORM.sub(" ", str(x)).strip() for x in ds.enterprise_text]
        self.other_block_ = None
        if self.text_weight > 0 and any(other):
            self.other_block_ = _char_tfidf(other, (1, 2), self.min_df)[1]
            blocks.append(self.text_weight * self.other_block_)
        if ds.has_products and (self.product_weight > 0 or self.product_token_weight > 0):
            pnames = ds.product_names.astype(str)
            vocab = set(pnames.tolist())
            links = ds.product_links if self.product_link_weight > 0 else None
            if links is not None:
                vocab |= set(links[0].astype(str).tolist()) | set(links[1].astype(str).tolist())
            uniq = sorted(vocab)
            pos = {p: i for i, p in enumerate(uniq)}
            w = np.nan_to_num(ds.product_weights.astype(np.float64), nan=0.0)
            w = (np.clip(w, 0.0, 1.0) + 0.05) ** self.product_weight_power
            A = sp.csr_matrix((w, (ds.product_enterprise, [pos[p] for p in pnames])), shape=(n, len(uniq)))
            A.sum_duplicates()
            if links is not None:
                fr = np.fromiter((pos[p] for p in links[0].astype(str)), np.int64, len(links[0]))
                to = np.fromiter((pos[p] for p in links[1].astype(str)), np.int64, len(links[1]))
                L = sp.csr_matrix((np.ones(len(fr)), (fr, to)), shape=(len(uniq), len(uniq)))
                L.data[:] = 1.0
                A = (A + self.product_link_weight * (A @ normalize(L, norm="l1"))).tocsr()
            if self.product_weight > 0:
                cv = CountVectorizer(analyzer="char", ngram_range=tuple(self.ngram_range), dtype=np.float64)
                E = (A @ cv.fit_transform(uniq)).tocsr()
                df = np.asarray((E > 0).sum(axis=0)).ravel()
                self.product_columns_ = np.flatnonzero(df >= self.min_df)
                self.product_idf_ = TfidfTransformer(sublinear_tf=True).fit(E[:, self.product_columns_])
                self.product_vec_ = cv
                self.product_block_ = self.product_idf_.transform(E[:, self.product_columns_]).tocsr()
                blocks.append(self.product_weight * self.product_block_)
            if self.product_token_weight > 0:
                df = np.asarray((A > 0).sum(axis=0)).ravel()
                keep = np.flatnonzero(df >= self.min_df)
                if len(keep):
                    tok = TfidfTransformer(sublinear_tf=True).fit_transform(A[:, keep])
                    blocks.append(self.product_token_weight * tok)
        if not blocks:
            return sp.csr_matrix((n, 1), dtype=np.float64)
        return sp.hstack(blocks).tocsr()

    def name_matrix(self) -> sp.csr_matrix | None:
        """Name and other text only (no products), for the name classifier."""
        parts = [b for b in (self.name_block_, self.other_block_) if b is not None]
        return normalize(sp.hstack(parts).tocsr()) if parts else None

    def zero_shot(self, seg_docs: list[str]) -> tuple[sp.csr_matrix, sp.csr_matrix] | None:
        """(enterprises, segments) in one space — products and names — both L2-normalised; None without text."""
        ent, seg = [], []
        if self.product_vec_ is not None:
            counts = self.product_vec_.transform(seg_docs)[:, self.product_columns_]
            ent.append(self.product_block_)
            seg.append(self.product_idf_.transform(counts))
        if self.name_vec_ is not None:
            ent.append(0.5 * self.name_block_)
            seg.append(0.5 * self.name_vec_.transform(seg_docs))
        if not ent:
            return None
        return normalize(sp.hstack(ent).tocsr()), normalize(sp.hstack(seg).tocsr())


def main_product_docs(ds: Dataset) -> list[str]:
    """Each firm's main product: the name of its highest-share product (first one on ties; "" without products)."""
    out = [""] * ds.n_enterprises
    if not ds.has_products:
        return out
    w = np.nan_to_num(ds.product_weights.astype(np.float64), nan=-1.0)
    best = np.full(ds.n_enterprises, -np.inf)
    for e, name, x in zip(ds.product_enterprise, ds.product_names.astype(str), w):
        if x > best[e]:
            best[e], out[e] = x, name
    return out


def main_product_matrix(ds: Dataset, ngram_range: tuple[int, int], min_df: int) -> sp.csr_matrix | None:
    """Char n-gram TF-IDF of each firm's main product alone (L2-normalised rows); None without products."""
    docs = main_product_docs(ds)
    if not any(docs):
        return None
    return normalize(_char_tfidf(docs, ngram_range, min_df)[1])


def _char_tfidf(docs: list[str], ngram_range: tuple[int, int],
                min_df: int) -> tuple[TfidfVectorizer | None, sp.csr_matrix]:
    nonempty = sum(1 for d in docs if d)
    if nonempty == 0:
        return None, sp.csr_matrix((len(docs), 1))
    for m in (min(min_df, nonempty), 1):
        vec = TfidfVectorizer(analyzer="char", ngram_range=ngram_range, sublinear_tf=True, min_df=m, dtype=np.float64)
        try:
            return vec, vec.fit_transform(docs).tocsr()
        except ValueError:  # empty vocabulary after min_df
            continue
    return None, sp.csr_matrix((len(docs), 1))


def segment_documents(ds: Dataset) -> list[str]:
    """Name + keywords/description (+ parent's name when the parent is a segment), level marks (Ⅲ) removed."""
    sidx = ds.segment_index()
    out = []
    for i in range(ds.n_segments):
        parts = [_LEVEL_MARK.sub("", str(ds.segment_names[i])), str(ds.segment_text[i])]
        p = sidx.get(str(ds.segment_parents[i]))
        if p is not None:
            parts.append(_LEVEL_MARK.sub("", str(ds.segment_names[p])))
        out.append(" ".join(x for x in parts if x))
    return out


