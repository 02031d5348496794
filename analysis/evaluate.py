"""Measuring extraction and relevance against hand-labelled postings.

The gold set is every posting written and labelled for this project: the
demo board's (``medcoder/demo/postings``) and the evaluation corpus
(``analysis/corpus``), each with an ``expected`` block. A fixed part, chosen
by a hash of each slug, is held apart: rules are tuned on the ``dev`` part
only, and both are reported.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from analysis.extract import Extraction, extract
from analysis.relevance import judge
from analysis.text import html_to_text

HELD_OUT_PERCENT = 30
FIELDS = ("credentials", "credential_levels", "alt_groups", "grace_periods", "code_sets", "experience", "education", "work_mode", "scope")


@cache
def labelled_postings() -> tuple:
    """The demo board's postings followed by the evaluation corpus (same format, same ``expected`` labels)."""
    from medcoder.demo.board import DemoPosting, load_postings

    corpus = resources.files(__package__).joinpath("corpus")
    extra = []
    for entry in sorted(corpus.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            extra += [DemoPosting(raw) for raw in yaml.safe_load(entry.read_text(encoding="utf-8")) or []]
    return (*load_postings(), *extra)


def split_of(slug: str) -> str:
    """``held_out`` for a fixed ~30% of slugs, ``dev`` for the rest (stable across runs and machines)."""
    h = int(hashlib.sha1(slug.encode()).hexdigest()[:8], 16) % 100
    return "held_out" if h < HELD_OUT_PERCENT else "dev"


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: set, predicted: set) -> None:
        self.tp += len(gold & predicted)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class EvalResult:
    split: str
    postings: int
    scores: dict[str, Score] = field(default_factory=lambda: {f: Score() for f in FIELDS})
    errors: list[tuple[str, str, set, set]] = field(default_factory=list)  # (slug, field, missed, extra)


def _gold_sets(expected: dict) -> dict[str, set]:
    creds = expected.get("certifications") or []
    return {
        "credentials": {i for c in creds for i in c["ids"]},
        "credential_levels": {(i, c.get("level", "required")) for c in creds for i in c["ids"]},
        "alt_groups": {frozenset(c["ids"]) for c in creds if len(c["ids"]) > 1},
        "grace_periods": {i for c in creds if c.get("within_months") for i in c["ids"]},
        "code_sets": {c["id"] for c in expected.get("code_sets") or []},
        "experience": {expected["experience_years_min"]} if expected.get("experience_years_min") is not None else set(),
        "education": {expected["education_min"]} if expected.get("education_min") else set(),
        "work_mode": {expected["remote"]} if expected.get("remote") else set(),
    }


def _predicted_sets(ex: Extraction, remote: str | None) -> dict[str, set]:
    groups: dict[int, set] = {}
    for r in ex.certifications:
        if r.group is not None:
            groups.setdefault(r.group, set()).add(r.id)
    return {
        "credentials": {r.id for r in ex.certifications},
        "credential_levels": {(r.id, r.level) for r in ex.certifications},
        "alt_groups": {frozenset(g) for g in groups.values()},
        "grace_periods": {r.id for r in ex.certifications if r.within_months},
        "code_sets": {r.id for r in ex.code_sets},
        "experience": {ex.experience_years_min} if ex.experience_years_min is not None else set(),
        "education": {ex.education_min} if ex.education_min else set(),
        "work_mode": {remote} if remote else set(),
    }


def without_headings(text: str) -> str:
    """Structured posting text with its headings and "Label:" lead-ins removed: a posting that gives no section cues."""
    lines = [line for line in text.split("\n") if not line.startswith("## ")]
    return "\n".join(re.sub(r"^(- )?[A-Za-z][A-Za-z /&'-]{2,40}:\s+", r"\1", line) for line in lines)


def evaluate(postings: Iterable, split: str | None = None, *, classify: bool = True, headings: bool = True) -> EvalResult:
    """Score extraction and relevance on labelled postings (``DemoPosting``-like: ``.data``, ``.slug``, ``.expected``).

    ``classify=False`` turns the sentence classifier off and ``headings=False`` strips every heading
    from the texts; both exist to measure what the classifier adds.
    """
    name = split or "all"
    if not classify or not headings:
        name += f" ({'classifier' if classify else 'rules only'}, {'with' if headings else 'without'} headings)"
    result = EvalResult(name, 0)
    for p in postings:
        if split and split_of(p.slug) != split:
            continue
        expected = p.expected
        relevant = expected.get("relevant")
        if relevant is None:
            continue  # broken pages have no content to judge
        text = html_to_text(p.data["description_html"])
        verdict = judge(p.data["title"], text)
        result.scores["scope"].add({"in"} if relevant else set(), {"in"} if verdict.scope == "in" else set())
        if not relevant:
            continue
        result.postings += 1
        ex = extract(text if headings else without_headings(text), classify=classify)
        remote = "remote" if p.data.get("remote") else ex.remote or ("onsite" if p.data.get("location") else None)
        gold, predicted = _gold_sets(expected), _predicted_sets(ex, remote)
        for name in gold:
            result.scores[name].add(gold[name], predicted[name])
            if gold[name] != predicted[name]:
                result.errors.append((p.slug, name, gold[name] - predicted[name], predicted[name] - gold[name]))
    return result


def format_table(results: list[EvalResult]) -> str:
    """A plain-text table of precision, recall and F1 per field for each split."""
    lines = []
    for res in results:
        lines.append(f"{res.split}: {res.postings} labelled coding postings")
        lines.append(f"  {'field':<18} {'precision':>9} {'recall':>7} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}")
        for name in FIELDS:
            s = res.scores[name]
            lines.append(f"  {name:<18} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f} {s.tp:4d} {s.fp:4d} {s.fn:4d}")
    return "\n".join(lines)


def ablation(splits: tuple[str, ...] = ("dev", "held_out")) -> str:
    """The evaluation with and without the sentence classifier, on the postings as written and with headings stripped."""
    postings = labelled_postings()
    return "\n".join(format_table([evaluate(postings, split, classify=c, headings=h)])
                     for h in (True, False) for c in (False, True) for split in splits)


if __name__ == "__main__":  # pragma: no cover - a measurement, run by hand: python -m analysis.evaluate
    print(ablation())
