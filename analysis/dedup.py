"""De-duplication: the same job seen on an employer's ATS, on aggregators and as re-posts.

Postings are blocked by normalised employer (duplicates must share an
employer), then compared inside each block by cosine similarity of hashed
word 1-2-gram vectors of title and description (scikit-learn's
HashingVectorizer: no vocabulary to fit, so it streams 100,000 postings in
bounded memory). A pair is a duplicate when the texts are near-identical
and the titles and locations are compatible; pairs are joined into clusters
with union-find. Every row (every source URL) is kept; one representative
per cluster is what the market statistics count.
"""

from __future__ import annotations

from medcoder.db import write_transaction

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from analysis.roles import role_family
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

TEXT_THRESHOLD = 0.8
TEXT_CHARS = 3000
TITLE_THRESHOLD = 0.5
N_FEATURES = 2**20
# Blocks of at least SUBBLOCK_MIN postings are split by an exact similarity bound before the pairwise
# comparison (see _sub_blocks); smaller ones cost less compared all-pairs. Either way the clusters are the same.
SUBBLOCK_MIN = 200
SUBBLOCK_ROWS = 256  # rows per sub-block: whole groups of possible duplicates packed together
# float32 products differ from exact ones by about 1e-5; the bound keeps pairs this far under the threshold.
BOUND_MARGIN = 0.01
# The part of a posting's vector left out of its prefix has a norm under (threshold - margin - BOUND_GAP),
# so a pair must share prefix weight of at least BOUND_GAP to stay a candidate.
BOUND_GAP = 0.09
# Employer ATS pages carry the fullest text; aggregators come after.
SOURCE_PRIORITY = ("workday", "greenhouse", "lever", "ashby", "smartrecruiters", "oracle_hcm", "jobposting_pages",
                   "demo_board", "usajobs", "feed", "remotive", "remoteok", "himalayas", "adzuna", "jobspy")

_SUFFIXES = re.compile(
    r"\b(?:inc|incorporated|llc|llp|ltd|limited|pvt|private|corp|corporation|co|company|plc|gmbh|group|holdings|"
    r"the|services|solutions|india|usa|us|global)\b\.?",
    re.I,
)


@dataclass
class DedupPosting:
    id: str
    source_id: str
    employer: str | None
    title: str | None
    city: str | None
    country: str | None
    remote: str | None
    description: str | None  # clustering reads only its first TEXT_CHARS characters; they may be all it holds
    first_seen: str | None = None
    description_length: int | None = None  # of the whole description, when ``description`` holds only its start

    @property
    def length(self) -> int:
        """Characters in the whole description: what the representative choice compares."""
        return len(self.description or "") if self.description_length is None else self.description_length


def employer_key(name: str | None) -> str:
    """Employer name folded for blocking: "R1 RCM, Inc." and "r1 rcm" meet; legal suffixes dropped."""
    if not name:
        return ""
    name = re.sub(r"[^\w\s]", " ", name.casefold())
    name = _SUFFIXES.sub(" ", name)
    return re.sub(r"\s+", " ", name).strip()


def _title_tokens(title: str | None) -> set[str]:
    return {t for t in re.findall(r"[a-z0-9]+", (title or "").casefold()) if t not in {"i", "ii", "iii", "the", "a", "of", "and"}}


_LEVEL_RE = re.compile(r"\b(i{1,3}|iv|[1-4]|senior|sr|junior|jr|lead|trainee)\b", re.I)


def _level_of(title: str | None) -> str | None:
    levels = sorted({m.lower() for m in _LEVEL_RE.findall(title or "")})
    return "+".join(levels) or None


def titles_compatible(a: str | None, b: str | None) -> bool:
    """Titles that can name the same job: token Jaccard at least TITLE_THRESHOLD.

    A missing level matches any ("Coder" on an aggregator, "Coder II" on the
    ATS), but two different stated levels are two jobs ("Coder II", "Coder III").
    """
    la = {m.lower() for m in _LEVEL_RE.findall(a or "")}
    lb = {m.lower() for m in _LEVEL_RE.findall(b or "")}
    if la and lb and la != lb:
        return False
    ta, tb = _title_tokens(a) - {"senior", "sr", "junior", "jr", "lead", "trainee", "1", "2", "3", "4", "iv"}, \
        _title_tokens(b) - {"senior", "sr", "junior", "jr", "lead", "trainee", "1", "2", "3", "4", "iv"}
    if not ta or not tb:
        return True
    return len(ta & tb) / len(ta | tb) >= TITLE_THRESHOLD


def locations_compatible(a: DedupPosting, b: DedupPosting) -> bool:
    """Same place, or one side remote or unstated; different countries never match."""
    if a.country and b.country and a.country != b.country:
        return False
    if not a.city or not b.city or "remote" in (a.remote, b.remote):
        return True
    return a.city.casefold() == b.city.casefold()


def _source_rank(source_id: str) -> int:
    spider = source_id.split(":", 1)[0]
    return SOURCE_PRIORITY.index(spider) if spider in SOURCE_PRIORITY else len(SOURCE_PRIORITY)


def representative(members: Sequence[DedupPosting]) -> DedupPosting:
    """The member statistics count: an employer ATS over aggregators, then the fullest text, then the earliest seen."""
    return min(members, key=lambda p: (_source_rank(p.source_id), -p.length, p.first_seen or "", p.id))


class _UnionFind:
    """Union-find whose clusters never span two different cities or two stated levels.

    Without the check a remote or level-less aggregator copy would chain the
    same employer's Fresno and Modesto openings, or its Coder II and Coder
    III jobs, into one.
    """

    def __init__(self, keys: list[tuple[str | None, str | None]]):
        self.parent = list(range(len(keys)))
        self.cities = [{city} if city else set() for city, _ in keys]
        self.levels = [{level} if level else set() for _, level in keys]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri == rj or len(self.cities[ri] | self.cities[rj]) > 1 or len(self.levels[ri] | self.levels[rj]) > 1:
            return
        root, child = min(ri, rj), max(ri, rj)
        self.parent[child] = root
        self.cities[root] |= self.cities[child]
        self.levels[root] |= self.levels[child]


def text_vectors(postings: Sequence[DedupPosting]):
    """One row per posting: TF-IDF of hashed word 1-2-grams of its title and text, L2-normalised, float32, CSR."""
    vectorizer = HashingVectorizer(n_features=N_FEATURES, ngram_range=(1, 2), alternate_sign=False, norm=None,
                                   lowercase=True, dtype=np.float32)
    # The first few KB identify a posting; the tail is mostly boilerplate and costs time.
    counts = vectorizer.transform(f"{p.title or ''}\n{(p.description or '')[:TEXT_CHARS]}" for p in postings)
    # IDF over the whole market: an employer's boilerplate (EEO, benefits) weighs little, the job's own lines a lot.
    # Weighted in place (what fit_transform does on a copy): one matrix of the whole market in memory, not two.
    tfidf = TfidfTransformer(sublinear_tf=True).fit(counts).transform(counts, copy=False)
    return tfidf.astype(np.float32, copy=False).tocsr()


def cluster(postings: Sequence[DedupPosting], *, threshold: float = TEXT_THRESHOLD, batch: int = 2000,
            subblock_min: int | None = SUBBLOCK_MIN) -> dict[str, str]:
    """Map each posting id to its cluster's representative id.

    ``subblock_min`` (None: never) is the block size from which a block is
    split by :func:`_sub_blocks` first; it changes the time taken, not the result.
    """
    n = len(postings)
    if n == 0:
        return {}
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, p in enumerate(postings):
        # Duplicates share an employer and a kind of job; without an employer, the title is the only safe block.
        employer = employer_key(p.employer) or "title:" + " ".join(sorted(_title_tokens(p.title)))
        blocks[(employer, role_family(p.title))].append(i)
    order = [i for members in blocks.values() if len(members) > 1 for i in members]
    if not order:
        return {p.id: p.id for p in postings}
    matrix = text_vectors([postings[i] for i in order])
    row_of = {i: k for k, i in enumerate(order)}
    uf = _UnionFind([(None if p.remote == "remote" or not p.city else p.city.casefold(), _level_of(p.title)) for p in postings])
    for members in blocks.values():
        if len(members) < 2:
            continue
        sub = matrix[[row_of[i] for i in members]]
        if subblock_min and len(members) >= subblock_min:
            # A big block (one employer's thousands of openings) is not compared all-pairs: only within groups
            # that hold every pair able to reach the threshold.
            for group in _sub_blocks(sub, threshold - BOUND_MARGIN, batch):
                _compare(sub[group], [members[k] for k in group], postings, uf, threshold, batch)
        else:
            _compare(sub, members, postings, uf, threshold, batch)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[uf.find(i)].append(i)
    result: dict[str, str] = {}
    for idx in groups.values():
        rep = representative([postings[i] for i in idx])
        for i in idx:
            result[postings[i].id] = rep.id
    return result


def _compare(sub, members: Sequence[int], postings: Sequence[DedupPosting], uf: _UnionFind, threshold: float,
             batch: int) -> None:
    """Join every pair of ``members`` (rows of ``sub``, in block order) whose texts, titles and places match."""
    # Compare in row batches so a huge block never needs a dense n x n matrix.
    for start in range(0, len(members), batch):
        sims = (sub[start:start + batch] @ sub.T).tocoo()
        rows = sims.row + start
        keep = (rows < sims.col) & (sims.data >= threshold)
        for a, b in zip(rows[keep], sims.col[keep]):
            pa, pb = postings[members[a]], postings[members[b]]
            if titles_compatible(pa.title, pb.title) and locations_compatible(pa, pb):
                uf.union(members[a], members[b])


def _sub_blocks(sub, floor: float, batch: int) -> list[np.ndarray]:
    """Rows of a block (L2-normalised, CSR) in groups such that no two rows of different groups reach ``floor``.

    Exact, unlike MinHash or LSH buckets, which miss some pairs. Split a row
    u into a prefix and the rest: u.v = u_pre.v + u_rest.v <= u_pre.v + |u_rest|,
    as |v| = 1. Each row's prefix is its entries with the most weight per
    unit of block document frequency, until |u_rest| < floor - BOUND_GAP;
    u_pre.v for every pair is then one sparse product over those few, mostly
    rare, features (about 1% of the all-pairs work on the synthetic market).
    A pair is possible when the bound reaches ``floor`` from both sides; the
    groups are the connected components of possible pairs, packed into about
    SUBBLOCK_ROWS rows each, every row that can match nothing left out.

    Comparing each group with :func:`_compare` finds what comparing the
    whole block would: each similarity is the same float32 product (a row's
    entries are summed in the same order), and the pairs of a component come
    in the same relative order (SciPy's product lists a row's columns in the
    order the row's features first reach them; dropping columns keeps the
    order of the rest), so union-find meets the same pairs in the same order.
    """
    m = sub.shape[0]
    lengths = np.diff(sub.indptr)
    row = np.repeat(np.arange(m), lengths)
    weight = sub.data.astype(np.float64) ** 2
    df = np.bincount(sub.indices, minlength=sub.shape[1])[sub.indices]
    # Within each row, most weight per unit of work first (gain <= 1, so row * 4 - gain keeps rows apart).
    order = np.argsort(row * 4.0 - weight / df, kind="stable")
    weight, data, indices = weight[order], sub.data[order], sub.indices[order]
    to_end = np.cumsum(weight[::-1])[::-1]
    rest_of_row = to_end - np.repeat(np.append(to_end[sub.indptr[1:-1]], 0.0), lengths)  # this entry to its row's end
    rest_norm = max(floor - BOUND_GAP, 0.0)
    in_prefix = rest_of_row >= rest_norm**2
    rest = np.sqrt(np.bincount(row[~in_prefix], weights=weight[~in_prefix], minlength=m))
    prefix = sp.csr_matrix((data[in_prefix], (row[in_prefix], indices[in_prefix])), shape=sub.shape)
    found_a, found_b = [], []
    for start in range(0, m, batch):
        bound = (prefix[start:start + batch] @ sub.T).tocoo()
        a = bound.row + start
        keep = (bound.data + rest[a] >= floor) & (a != bound.col)
        found_a.append(a[keep])
        found_b.append(bound.col[keep])
    one_way = sp.csr_matrix((np.ones(sum(map(len, found_a)), dtype=np.int8), (np.concatenate(found_a), np.concatenate(found_b))),
                            shape=(m, m))
    _, label = connected_components(one_way.multiply(one_way.T), directed=False)
    size = np.bincount(label)
    rows = np.flatnonzero(size[label] > 1)
    if not len(rows):
        return []
    # Pack whole components into groups of about SUBBLOCK_ROWS rows, each group's rows in block order.
    comps = np.unique(label[rows])
    group_of = np.zeros(len(size), dtype=np.int64)
    group_of[comps] = (np.cumsum(size[comps]) - size[comps]) // SUBBLOCK_ROWS
    group = group_of[label[rows]]
    order = np.argsort(group, kind="stable")
    rows, group = rows[order], group[order]
    return np.split(rows, np.flatnonzero(np.diff(group)) + 1)


def deduplicate_db(db) -> dict[str, int]:
    """Cluster the open in-scope postings and store ``cluster_id`` / ``is_representative``; return counts."""
    # Only what clustering reads: the first TEXT_CHARS characters and the length, not 1-8 KB of text a posting.
    rows = db.execute(
        "select id, source_id, employer, title, city, country, remote, substr(description, 1, ?), first_seen, "
        "length(description), instr(cast(description as blob), x'00') from postings where closed_at is null",
        [TEXT_CHARS],
    ).fetchall()
    postings = [DedupPosting(*r[:10]) for r in rows]
    for p in (p for p, r in zip(postings, rows) if r[10]):
        # SQLite's substr() and length() stop at a NUL character (the cleaner never stores one): read such a text whole.
        (whole,) = db.execute("select description from postings where id = ?", [p.id]).fetchone()
        p.description, p.description_length = whole[:TEXT_CHARS], len(whole)
    del rows
    mapping = cluster(postings)
    with write_transaction(db):
        db.execute("create temp table if not exists _clusters (id text primary key, cluster_id text)")
        db.execute("delete from _clusters")
        db.conn.executemany("insert into _clusters values (?, ?)", mapping.items())
        db.execute("update postings set cluster_id = (select cluster_id from _clusters c where c.id = postings.id), "
                   "is_representative = ((select cluster_id from _clusters c where c.id = postings.id) = postings.id) "
                   "where id in (select id from _clusters)")
        # Closed postings keep their last cluster but never represent the open market.
        db.execute("update postings set is_representative = 0 where closed_at is not null and cluster_id != id")
    clusters = len(set(mapping.values()))
    return {"postings": len(mapping), "clusters": clusters, "duplicates": len(mapping) - clusters}
