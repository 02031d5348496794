"""Relevance: is this posting a medical-coding job?

Job boards mix coders with AR callers, billers, front-desk staff, scribes and
software "coders". Every posting gets a scope (``in``, ``out`` or
``review``), a score in [0, 1] and a reason a person can read. Out-of-scope
postings are kept apart with that reason, never silently lost.

Explicit rules decide where a rule is clearly right (a title that names a
neighbouring job, or names coding while the text agrees). Everything else is
weighed by a scikit-learn classifier (TF-IDF + logistic regression) trained
on ``relevance_training.yaml``, 400 labelled titles and texts shipped with
the package; it is fitted in well under a second, and the fitted weights are
kept between processes (:mod:`analysis.model_cache`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from analysis.model_cache import load_or_fit

IN, OUT, REVIEW = "in", "out", "review"


@dataclass(frozen=True)
class Verdict:
    scope: str
    score: float  # belief that this is a coding job, 0..1
    reason: str


def _rx(*alternatives: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.I)


# Titles that name a coding job outright.
CODING_TITLE = _rx(
    r"(?:medical|clinical|hospital|inpatient|outpatient|pro[\s-]?fee|profee|physician|facility|surgical|surgery|radiology|"
    r"cardiology|ed|e/m|e&m|em|emergency|hcc|risk[\s-]adjustment|ipdrg|drg|ivr|anesthesia|oncology|ortho\w*|home health|"
    r"denials?|certified|senior|sr\.?|junior|jr\.?|trainee|apprentice|remote|lead|quality|him|health information)\s+(?:medical\s+)?cod(?:er|ing)",
    r"cod(?:er|ing)\s+(?:specialist|analyst|auditor|educator|trainer|instructor|faculty|supervisor|manager|lead|quality|validator|reviewer|professional|associate|executive|coordinator|integrity|compliance|consultant|denials?)",
    r"(?:coder|coding)\s*(?:i{1,3}|iv|[1-4])\b",
    r"medical records technician\s*\(?coder\)?",
    r"clinical documentation (?:integrity|improvement|specialist|specialists)",
    r"cdi (?:specialist|analyst|manager|educator|reviewer|lead)",
    r"(?:cpc|ccs|crc|cic|coc)[\s-]?(?:a\s+)?(?:certified\s+)?(?:coder|fresher|trainee)s?",
    r"medical cod(?:er|ing)",
    r"coders?",
)
# Titles of neighbouring jobs that are not coding, whatever their text says.
# (pattern, reason, hard): a hard rule wins even over a coding word in the title ("Python Coder",
# "Survey Coder"); a soft one yields to it ("Denials Coding Specialist", "Billing & Coding Specialist").
NOT_CODING_TITLE: list[tuple[re.Pattern, str, bool]] = [
    (_rx(r"software", r"developer", r"engineer", r"programmer", r"python", r"java(?:script)?", r"full[\s-]?stack", r"front[\s-]?end",
         r"back[\s-]?end", r"devops", r"data scientist", r"react(?:\s?js)?", r"node(?:\.?js)?", r"angular", r"php", r"golang", r"ruby",
         r"\.net", r"c\+\+", r"web", r"android", r"ios", r"robotics"), "software job, not medical coding", True),
    (_rx(r"bootcamp", r"(?<!medical )coding (?:instructor|teacher|tutor|camp|club|mentor)", r"teach(?:ing)? (?:kids|children|students) to code",
         r"stem instructor", r"computer science"), "teaches programming, not medical coding", True),
    (_rx(r"survey coder", r"data coder", r"safety data", r"meddra", r"pharmacovigilance", r"clinical data (?:coder|management|manager)",
         r"tele[\s-]?counsel+or", r"counsel+or", r"admissions?", r"recruiter", r"talent acquisition", r"sales",
         r"business development"), "not medical-billing coding (research, survey, hiring or sales work)", True),
    (_rx(r"ar caller", r"a/?r (?:caller|analyst|associate|executive|specialist|representative|follow[\s-]?up)", r"accounts? receivable", r"collections?", r"voice process"), "accounts receivable / AR calling, not coding", False),
    (_rx(r"payment post\w*", r"cash posting", r"charge entry", r"cash applications?"), "payment posting, not coding", False),
    (_rx(r"front desk", r"receptionist", r"patient (?:access|registration|service)", r"registration", r"scheduler", r"admitting"), "front desk / patient access, not coding", False),
    (_rx(r"release of information", r"roi (?:specialist|associate|analyst)"), "release of information, not coding", False),
    (_rx(r"scribe"), "medical scribe, not coding", False),
    (_rx(r"transcription\w*", r"transcriptionist"), "medical transcription, not coding", False),
    (_rx(r"insurance verification", r"eligibility (?:verification|specialist)", r"prior authori[sz]ation", r"pre[\s-]?authori[sz]ation"), "insurance verification, not coding", False),
    (_rx(r"pharmacy tech\w*", r"pharmacist"), "pharmacy job, not coding", False),
    (_rx(r"(?:medical |insurance )?biller", r"billing (?:specialist|analyst|associate|executive|representative|coordinator|manager|clerk)", r"denial management", r"credentialing"), "billing only, not coding", False),
]
NURSE_TITLE = _rx(r"registered nurse", r"staff nurse", r"\bRN\b", r"nurse", r"LPN", r"nursing")
CDI_WORDS = _rx(r"clinical documentation", r"cdi", r"documentation integrity", r"coding")

TRAINING_FILE = "relevance_training.yaml"
IN_AT, OUT_AT = 0.65, 0.35  # classifier probability bands for in / review / out


def _features(title: str, text: str) -> str:
    # The title says most; repeating it weighs it against a long text.
    return f"{title}\n{title}\n{title}\n{text[:1500]}"


def training_examples() -> list[dict]:
    """The shipped labelled titles and texts (``label``: in or out)."""
    raw = resources.files(__package__).joinpath(TRAINING_FILE).read_text(encoding="utf-8")
    return yaml.safe_load(raw)


def classifier():
    """TF-IDF word 1-2-grams + logistic regression (scikit-learn), fitted on the shipped examples (deterministic)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    data = training_examples()
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True),
                          LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced"))
    model.fit([_features(d["title"], d["text"]) for d in data], [1 if d["label"] == "in" else 0 for d in data])
    return model


@cache
def _weights() -> tuple[dict[str, tuple[float, float]], float]:
    """{term: (idf, coefficient)} and the intercept of the fitted model.

    Every crawl process judges relevance, so the fitted weights come from
    :mod:`analysis.model_cache` and are scored in plain Python by
    :func:`_score` exactly as the pipeline would.
    """
    source = resources.files(__package__).joinpath(TRAINING_FILE).read_bytes()
    return load_or_fit("relevance", [source], _fitted_weights,
                       lambda data: ({t: (float(v[0]), float(v[1])) for t, v in data["terms"].items()}, float(data["intercept"])))


def _fitted_weights() -> dict:
    model = classifier()
    vec, lr = model.steps[0][1], model.steps[1][1]
    coef = lr.coef_[0]
    return {"terms": {t: (float(vec.idf_[i]), float(coef[i])) for t, i in vec.vocabulary_.items()}, "intercept": float(lr.intercept_[0])}


_TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern


def _score(text: str) -> float:
    """The fitted pipeline's probability, computed from cached weights (sublinear tf, idf, l2 norm, logistic)."""
    terms, intercept = _weights()
    tokens = _TOKEN_RE.findall(text.lower())
    counts: dict[str, int] = {}
    for gram in (*tokens, *(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))):
        if gram in terms:
            counts[gram] = counts.get(gram, 0) + 1
    weights = {g: (1.0 + math.log(c)) * terms[g][0] for g, c in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    z = intercept + sum(w / norm * terms[g][1] for g, w in weights.items())
    return 1.0 / (1.0 + math.exp(-z))


def coding_probability(title: str, text: str) -> float:
    """The classifier's belief that a posting is a coding job."""
    return _score(_features(title, text))


def judge(title: str | None, description: str | None = None) -> Verdict:
    """Decide whether a posting is a medical-coding job, with a score and a readable reason."""
    title = (title or "").strip()
    text = description or ""
    if not title and not text:
        return Verdict(REVIEW, 0.5, "no title or description to judge")
    verdict = _rules(title, text)
    p = round(coding_probability(title, text), 3)
    if verdict is not None:
        scope, reason = verdict
        if scope == OUT or p >= 0.2:
            return Verdict(scope, p if scope == IN else min(p, 0.2), reason)
        return Verdict(REVIEW, p, f"{reason}, but the text reads like another job (classifier {p:.2f})")
    if p >= IN_AT:
        return Verdict(IN, p, f"classifier {p:.2f}: the text reads like a coding job")
    if p <= OUT_AT:
        return Verdict(OUT, p, f"title {title!r} is not a coding job and the classifier gives {p:.2f}")
    return Verdict(REVIEW, p, f"unclear: classifier {p:.2f}")


def _rules(title: str, text: str) -> tuple[str, str] | None:
    """A decision where an explicit rule is clearly right, else None."""
    if NURSE_TITLE.search(title) and not (CDI_WORDS.search(title) or CODING_TITLE.search(title)):
        return OUT, f"title {title!r}: nursing role, not coding"
    for rx, why, hard in NOT_CODING_TITLE:
        if rx.search(title) and (hard or not CODING_TITLE.search(title)):
            return OUT, f"title {title!r}: {why}"

    if CODING_TITLE.search(title):
        return IN, f"title {title!r} names a coding job"
    return None
