"""Emerging terms: what postings ask for that the taxonomy does not know yet.

New credentials ("CPC-P", "CRCR"), platforms and phrasings appear in postings
before anyone adds them to ``taxonomy.yaml``. This module reads each
posting's requirement sentences (the extractor's own reading: headings, cue
words and the sentence classifier, so perks and company boilerplate stay
out), treats them as one document per posting, weighs word 1-3-grams by
TF-IDF (scikit-learn), drops every n-gram the taxonomy already matches and
generic posting vocabulary, and ranks the rest with a count of postings and
an example sentence, for a curator to judge.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from analysis.extract import ASK, read_sentences
from analysis.taxonomy import Taxonomy, load_taxonomy

# Words (letters first) that may carry inner hyphens, slashes, dots or plus signs: "CPC-P", "HCC/RAF", "Pharm.D".
TOKEN_PATTERN = r"(?u)\b[A-Za-z][A-Za-z0-9]*(?:[-/.+][A-Za-z0-9]+)*\b"
TOKEN_RE = re.compile(TOKEN_PATTERN)
# Words every posting uses to ask for things; a term made only of these (and taxonomy terms) says nothing new.
POSTING_WORDS = frozenset("""
    ability able accepted accuracy active added advantage apply applicants applicant areas assigned associate bachelor
    background based basic bonus candidate candidates certificate certification certifications certified chart charts
    code codes coder coders coding college completion considered credential credentials current day days degree demonstrated
    desirable desired detail diploma documentation education eligible environment equivalent essential excellent exp
    experience experienced exposure familiar familiarity field freshers good graduate graduates graduation hands high
    hire hiring holders ideal ideally including join joining knowledge least level levels maintain mandatory medical
    minimum month months nice obtain obtained preferred prior proficiency proficient professional qualification
    qualifications related relevant required requirement requirements role school science sciences should skill skills
    solid specialty standards strong thorough training understanding valid welcome work working year years yrs
    plus key expert guidelines management advanced deep sound overall similar various etc new fresh immediate joiners
""".split())


@dataclass(frozen=True)
class EmergingTerm:
    term: str  # as postings most often write it
    postings: int  # postings whose requirement sentences use it
    score: float  # summed TF-IDF weight across postings, doubled for names and acronyms
    example: str  # a requirement sentence that uses it


def requirement_sentences(text: str, taxonomy: Taxonomy | None = None) -> list[str]:
    """The sentences of a posting that ask for something (required or preferred).

    Stricter than extraction needs: a requirements section also holds "share your CV" and equal
    opportunity lines, harmless to extraction (they name nothing) but noise here, so the sentence
    classifier must not call them anything but a requirement or a preference.
    """
    from analysis.sentences import classify

    return [r.text for r in read_sentences(text, taxonomy) if r.kind == ASK and classify(r.text).label in ("requirement", "preferred")]


def emerging_terms(postings: Iterable[str], *, top: int = 30, min_postings: int = 3,
                   taxonomy: Taxonomy | None = None) -> list[EmergingTerm]:
    """Frequent requirement terms that no taxonomy alias matches, best first.

    ``postings`` are posting texts (plain or HTML); a term must appear in the
    requirement sentences of at least ``min_postings`` of them.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    tax = taxonomy or load_taxonomy()
    # Per posting: (sentence, sentence with taxonomy terms cut out).
    docs = [[(s, _mask_known(s, tax)) for s in requirement_sentences(text, tax)] for text in postings]
    docs = [d for d in docs if d]
    if len(docs) < max(1, min_postings):
        return []
    from analysis.taxonomy import ISSUERS

    stop = ENGLISH_STOP_WORDS | POSTING_WORDS | {i.lower() for i in ISSUERS}
    vectorizer = TfidfVectorizer(analyzer=_analyzer(stop), min_df=min_postings, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(["\n".join(masked for _, masked in d) for d in docs])
    except ValueError:  # no term reaches min_postings
        return []
    weights = matrix.sum(axis=0).A1
    df = (matrix > 0).sum(axis=0).A1
    surface, names, examples = _surfaces(docs, vectorizer.vocabulary_)
    terms = []
    for term, j in vectorizer.vocabulary_.items():
        written = surface[term].most_common(1)[0][0] if surface[term] else term
        if _known(written, tax, stop):
            continue
        boost = 2.0 if names[term] else 1.0
        terms.append(EmergingTerm(written, int(df[j]), round(float(weights[j]) * boost, 4), examples.get(term, "")))
    terms.sort(key=lambda t: (-t.score, -t.postings, t.term))
    return _drop_nested(terms)[:top]


def emerging_terms_db(db: sqlite_utils.Database, **kwargs) -> list[EmergingTerm]:
    """:func:`emerging_terms` over the database's postings (one per duplicate cluster)."""
    rows = db.execute("select description from postings where coalesce(is_representative, 1) = 1 order by id").fetchall()
    return emerging_terms((r[0] or "" for r in rows), **kwargs)


def _analyzer(stop: frozenset):
    """1-3-grams of tokens that neither start nor end with a stop word, never across sentences."""
    def analyze(doc: str) -> list[str]:
        grams = []
        for line in doc.split("\n"):
            if not line.strip():
                continue
            tokens = [t.lower() for t in TOKEN_RE.findall(line)]
            for n in (1, 2, 3):
                for i in range(len(tokens) - n + 1):
                    gram = tokens[i:i + n]
                    if gram[0] in stop or gram[-1] in stop or len(gram[0]) < 2:
                        continue
                    grams.append(" ".join(gram))
        return grams

    return analyze


def _surfaces(docs: list[list[tuple[str, str]]], vocabulary: dict) -> tuple[dict, Counter, dict]:
    """How each term is written (case kept), how often it is written as a name, and the first sentence that uses it."""
    surface: dict[str, Counter] = defaultdict(Counter)
    names: Counter = Counter()
    examples: dict[str, str] = {}
    for sentences in docs:
        for s, masked in sentences:
            first = TOKEN_RE.search(s)
            tokens = [(t.group(0), t.start()) for t in TOKEN_RE.finditer(masked)]
            pieces = [t for t, _ in tokens]
            lowered = [t.lower() for t in pieces]
            for n in (1, 2, 3):
                for i in range(len(tokens) - n + 1):
                    key = " ".join(lowered[i:i + n])
                    if key in vocabulary:
                        written = " ".join(pieces[i:i + n])
                        surface[key][written] += 1
                        # A capital that only opens the sentence says nothing about the word.
                        opening = first is not None and tokens[i][1] == first.start()
                        if _looks_like_a_name(written[:1].lower() + written[1:] if opening else written):
                            names[key] += 1
                        examples.setdefault(key, s)
    return surface, names, examples


def _known_patterns() -> list[re.Pattern]:
    """What the extractor knows beyond the taxonomy: education levels and fields, work modes, shifts, languages."""
    from analysis import conditions, education

    return [*education.LEVEL_PATTERNS.values(), *education.FIELD_PATTERNS.values(),
            *(rx for _, rx in conditions.WORK_MODE_PATTERNS), *(rx for _, rx in conditions.SHIFT_PATTERNS),
            conditions.LANGUAGE_RE, conditions.NOT_REMOTE_RE]


def _mask_known(sentence: str, tax: Taxonomy) -> str:
    """The sentence with every known word cut out (a line break, so no n-gram spans it).

    A word is known when known terms cover all its letters and digits: "RHIT/RHIA" is, but "CPC-P"
    is not (only its "CPC" is), since "CPC-P" is a credential the taxonomy does not know.
    """
    covered = [False] * len(sentence)
    spans = [(m.start, m.end) for m in tax.find(sentence)]
    spans += [m.span() for rx in _known_patterns() for m in rx.finditer(sentence)]
    for a, b in spans:
        covered[a:b] = [True] * (b - a)
    out = list(sentence)
    for tok in TOKEN_RE.finditer(sentence):
        a, b = tok.span()
        if all(covered[i] or not sentence[i].isalnum() for i in range(a, b)):
            out[a:b] = ["\n"] * (b - a)
    return "".join(out)


def _known(term: str, tax: Taxonomy, stop: frozenset) -> bool:
    """True when taxonomy aliases and stop words cover every word of the term."""
    covered = [False] * len(term)
    for m in tax.find(term):
        covered[m.start:m.end] = [True] * (m.end - m.start)
    for tok in TOKEN_RE.finditer(term):
        if tok.group(0).lower() in stop:
            continue
        if not all(covered[tok.start():tok.end()]):
            return False
    return True


def _looks_like_a_name(term: str) -> bool:
    """Acronyms and proper names ("CRCR", "CPC-P", "Apixio") are what curators add; common words are not."""
    return any(ch.isupper() for ch in term[1:]) or (term[:1].isupper() and " " not in term) or bool(re.search(r"[A-Za-z]-?\d|\d-?[A-Za-z]", term))


def _drop_nested(terms: list[EmergingTerm]) -> list[EmergingTerm]:
    """Keep one of a term and the longer phrases around it when they occur in the same postings."""
    kept: list[EmergingTerm] = []
    for t in terms:
        words = f" {t.term.lower()} "
        if any(k.postings == t.postings and (f" {k.term.lower()} " in words or words.strip() in k.term.lower()) for k in kept):
            continue
        kept.append(t)
    return kept
