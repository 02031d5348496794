"""What a posting sentence does: ask (requirement, preferred), describe the job, offer, or talk about the employer.

The extractor decides most sentences by rule: the heading above them and cue
words ("required", "preferred", "reimbursed"). Where those are silent (a
credential named in a paragraph under no useful heading) or misleading (a
credential inside a perk or a company boast), this classifier weighs the
sentence as a whole. Labels: ``requirement``, ``preferred``,
``responsibility``, ``benefit``, ``company`` (boilerplate) and ``other``.

It is scikit-learn (TF-IDF word 1-2-grams + multinomial logistic regression)
trained on ``sentence_training.yaml``, a labelled set shipped with the
package. The fit takes about a second and is kept between processes
(:mod:`analysis.model_cache`), so only the first process after a change to
the training set, the taxonomy or this module imports scikit-learn. Taxonomy terms are replaced
by their category ("CPC" -> ``credx``) and numbers by ``num`` before training
and prediction, so the model learns "X preferred" and "we pay for your X exam"
rather than particular credentials. Prediction runs on a compiled copy of the
fitted model (term -> per-label weights, pure-Python look-ups) because
calling scikit-learn per sentence costs far more than the extractor's budget;
``tests/test_sentences.py`` checks the copy agrees with scikit-learn.

``python -m analysis.sentences`` prints the cross-validated accuracy.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import chain
from pathlib import Path

import yaml

from analysis.model_cache import load_or_fit
from analysis.taxonomy import load_taxonomy

LABELS = ("requirement", "preferred", "responsibility", "benefit", "company", "other")
TRAINING_FILE = "sentence_training.yaml"
PLACEHOLDERS = {"credential": "credx", "code_set": "codex", "tool": "toolx", "knowledge": "knowx", "soft_skill": "softx", "setting": "settingx"}
NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")


class SentenceDataError(ValueError):
    """The labelled sentence file is malformed; the message says where."""


@dataclass(frozen=True)
class SentenceLabel:
    label: str
    probability: float


def training_sentences(raw: object | None = None) -> list[tuple[str, str]]:
    """The shipped labelled sentences as (sentence, label), validated (or ``raw`` parsed YAML, for tests)."""
    if raw is None:
        text = resources.files(__package__).joinpath(TRAINING_FILE).read_text(encoding="utf-8")
        raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # the C loader when built: 10x faster
    if not isinstance(raw, dict) or not isinstance(raw.get("version"), int):
        raise SentenceDataError(f"{TRAINING_FILE}: a mapping with an integer 'version' and one list per label")
    unknown = set(raw) - {"version", *LABELS}
    if unknown:
        raise SentenceDataError(f"{TRAINING_FILE}: unknown label(s) {sorted(unknown)}; allowed: {list(LABELS)}")
    out: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for label in LABELS:
        items = raw.get(label)
        if not isinstance(items, list) or not items:
            raise SentenceDataError(f"{TRAINING_FILE}: '{label}' must be a non-empty list of sentences")
        for i, s in enumerate(items):
            if not isinstance(s, str) or not s.strip():
                raise SentenceDataError(f"{TRAINING_FILE}: {label} #{i + 1} must be a non-empty string")
            key = s.strip().casefold()
            if key in seen:
                raise SentenceDataError(f"{TRAINING_FILE}: {s!r} appears twice (under {seen[key]} and {label})")
            seen[key] = label
            out.append((s.strip(), label))
    return out


def features(sentence: str) -> str:
    """The text the model sees: taxonomy terms replaced by their category, numbers by ``num``."""
    tax = load_taxonomy()
    parts, pos = [], 0
    for m in tax.find_shared(sentence):
        parts += [sentence[pos:m.start], " ", PLACEHOLDERS[tax.skills[m.skill_id].category], " "]
        pos = m.end
    parts.append(sentence[pos:])
    return NUMBER_RE.sub(" num ", "".join(parts))


def fit(examples: list[tuple[str, str]]):
    """A scikit-learn pipeline fitted on (sentence, label) pairs (deterministic)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True),
                          LogisticRegression(C=20.0, solver="saga", max_iter=5000, random_state=0))
    model.fit([features(s) for s, _ in examples], [label for _, label in examples])
    return model


class CompiledModel:
    """A fitted TF-IDF + logistic-regression pipeline reduced to plain look-ups, for fast single-sentence use.

    Each vocabulary term maps to its idf and its column of label weights, so a
    sentence costs a tokenisation and a few dozen multiply-adds in Python:
    numpy's per-call overhead on arrays this small cost more than the sums.
    As plain data it is kept between processes (:mod:`analysis.model_cache`).
    """

    def __init__(self, labels, token_pattern: str, terms: dict[str, tuple[float, tuple[float, ...]]], intercept) -> None:
        self.labels = tuple(labels)
        self.token_re = re.compile(token_pattern)
        self.terms = terms  # term -> (idf, label weights already multiplied by the idf: what a term seen once adds)
        self.intercept = tuple(intercept)
        if any(len(vector) != len(self.labels) for _, vector in terms.values()) or len(self.intercept) != len(self.labels):
            raise ValueError("every term needs one weight per label")

    @classmethod
    def from_pipeline(cls, pipeline) -> "CompiledModel":
        vectorizer, clf = pipeline.steps[0][1], pipeline.steps[-1][1]
        # The copy re-implements the vectoriser's analysis; refuse a pipeline configured otherwise.
        if (vectorizer.ngram_range != (1, 2) or not vectorizer.lowercase or vectorizer.analyzer != "word"
                or vectorizer.stop_words is not None or vectorizer.preprocessor is not None or vectorizer.tokenizer is not None
                or vectorizer.strip_accents is not None or not vectorizer.sublinear_tf or vectorizer.norm != "l2"):
            raise ValueError("CompiledModel supports word 1-2-grams, lowercased, sublinear tf, l2 norm only")
        weighted = (clf.coef_ * vectorizer.idf_).T.tolist()  # terms x labels
        idf = vectorizer.idf_.tolist()
        return cls((str(c) for c in clf.classes_), vectorizer.token_pattern,
                   {term: (idf[j], tuple(weighted[j])) for term, j in vectorizer.vocabulary_.items()},
                   (float(b) for b in clf.intercept_))

    def to_data(self) -> dict:
        return {"labels": list(self.labels), "token_pattern": self.token_re.pattern, "intercept": list(self.intercept),
                "terms": {term: [idf, list(vector)] for term, (idf, vector) in self.terms.items()}}

    @classmethod
    def from_data(cls, data: dict) -> "CompiledModel":
        terms = {str(term): (float(idf), tuple(float(x) for x in vector)) for term, (idf, vector) in data["terms"].items()}
        return cls([str(label) for label in data["labels"]], str(data["token_pattern"]), terms, [float(b) for b in data["intercept"]])

    def probabilities(self, text: str) -> dict[str, float]:
        """Label -> probability for already-featurised text (the pipeline's predict_proba, to rounding)."""
        terms = self.terms
        tokens = self.token_re.findall(text.lower())
        bigrams = map(" ".join, zip(tokens, tokens[1:]))
        # Known terms counted in C, in order of first occurrence: the sums below add in that order.
        counts = Counter(filter(terms.__contains__, chain(tokens, bigrams)))
        scores = list(self.intercept)
        if counts:
            vectors, squares = [], 0.0
            for gram, n in counts.items():
                idf, vector = terms[gram]
                if n > 1:  # sublinear tf: 1 + log(n); most terms occur once, tf 1
                    tf = 1.0 + math.log(n)
                    vector, idf = tuple(tf * x for x in vector), tf * idf
                vectors.append(vector)
                squares += idf * idf
            norm = math.sqrt(squares)  # the tf-idf vector's l2 norm
            scores = [b + total / norm for b, total in zip(scores, map(sum, zip(*vectors)))]
        top = max(scores)
        exps = [math.exp(x - top) for x in scores]
        total = sum(exps)
        return {label: e / total for label, e in zip(self.labels, exps)}


@cache
def model() -> CompiledModel:
    """The classifier trained on the shipped sentences, compiled; loaded once per process, fitted only when not cached.

    The fit depends on the training sentences, the taxonomy (:func:`features` puts its categories in) and this
    module's code, so those are what the cached copy is keyed by.
    """
    sources = [resources.files(__package__).joinpath(TRAINING_FILE).read_bytes(),
               resources.files("analysis.taxonomy").joinpath("taxonomy.yaml").read_bytes(),
               Path(__file__).read_bytes()]
    return load_or_fit("sentences", sources, lambda: CompiledModel.from_pipeline(fit(training_sentences())).to_data(),
                       CompiledModel.from_data)


@lru_cache(maxsize=8192)
def classify(sentence: str) -> SentenceLabel:
    """The most likely label of one sentence, with its probability (repeated sentences are classified once)."""
    return classify_features(features(sentence))


# The model sees only the featurised text, and sentences that differ in a number or a credential
# ("3+ years ... CPC required", "2+ years ... CCS required") featurise alike: each is scored once.
@lru_cache(maxsize=8192)
def classify_features(text: str) -> SentenceLabel:
    """The most likely label of already-featurised text (:func:`features`), with its probability."""
    probs = model().probabilities(text)
    label = max(probs, key=probs.get)
    return SentenceLabel(label, round(probs[label], 4))


@dataclass(frozen=True)
class CrossValidation:
    sentences: int
    folds: int
    accuracy: float
    macro_f1: float
    per_label_f1: dict[str, float]


def cross_validate(folds: int = 5, seed: int = 0, examples: list[tuple[str, str]] | None = None) -> CrossValidation:
    """Stratified k-fold accuracy of the classifier on the shipped sentences (each predicted by a model that never saw it)."""
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold

    data = examples or training_sentences()
    labels = [label for _, label in data]
    predicted = [""] * len(data)
    for train, test in StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(data, labels):
        fold_model = fit([data[i] for i in train])
        for i, label in zip(test, fold_model.predict([features(data[i][0]) for i in test])):
            predicted[i] = str(label)
    per_label = f1_score(labels, predicted, labels=list(LABELS), average=None)
    return CrossValidation(len(data), folds, round(float(accuracy_score(labels, predicted)), 4),
                           round(float(f1_score(labels, predicted, average="macro")), 4),
                           {label: round(float(f), 4) for label, f in zip(LABELS, per_label)})


if __name__ == "__main__":  # pragma: no cover - a measurement, run by hand
    cv = cross_validate()
    print(f"{cv.sentences} labelled sentences, {cv.folds}-fold stratified cross-validation")
    print(f"accuracy {cv.accuracy:.3f}, macro F1 {cv.macro_f1:.3f}")
    for label, f in cv.per_label_f1.items():
        print(f"  {label:<15} F1 {f:.3f}")
