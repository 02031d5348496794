"""Benchmark: requirement extraction on one core, its start-up time, and a raw matcher as the ceiling.

    python -m bench.extract_bench [--n 10000] [--sizes 2000,10000] [--seed 7]

Texts: the first N synthetic descriptions of 2-5 KB (plain text with
headings and bullets, as ``postings.description`` stores them).

* ``extract_postings_per_second``: :func:`analysis.extract.extract` over the
  texts, one after another, in this process (one core);
* ``startup_*``: a fresh ``python`` process importing ``analysis.extract``,
  compiling the taxonomy and extracting the first posting (which loads
  whatever the extractor loads on first need); median of 3, with the fitted
  sentence classifier already in the model cache (:mod:`analysis.model_cache`),
  as every process but the first after an install or a change finds it;
  ``startup_uncached_*``: one such process with an empty cache, which
  imports scikit-learn and fits the classifier;
* ``aho_corasick_postings_per_second``: the stretch figure, a raw
  multi-pattern matching baseline: every taxonomy alias, lower-cased, in one
  Aho-Corasick automaton (pyahocorasick, C) run over each lower-cased text,
  every occurrence reported, no word boundaries or rules. No extractor
  that reads every alias can beat it;
* ``ceiling_postings_per_second``: the same texts through one compiled
  alternation of every taxonomy alias (longest first, case-insensitive,
  whole words), ``finditer`` only -- what any extractor that looks at every
  alias must at least spend; ``extract_share_of_ceiling`` is how close
  extraction gets (extraction rate over ceiling rate).
* ``extract_cpu_postings_per_second``: the same run timed by this
  process's CPU time, less disturbed by other work on a shared machine;
* ``extract_cold_postings_per_second``: extraction with every memoised
  sentence reading forgotten before each posting
  (:func:`analysis.extract.clear_caches`). The extractor reads each distinct
  sentence once, because postings repeat sentences (an employer's
  boilerplate, a board's template); ``distinct_sentence_share`` says how
  much these texts repeat. The synthetic texts likely repeat more than
  most real boards, so the cold figure is the cautious one.
* ``taxonomy_matcher_postings_per_second``: the taxonomy's own matcher
  (:meth:`analysis.taxonomy.Taxonomy.scan`: the automaton picks word starts,
  the aliases' trie pattern decides) over the whole texts, without its memo.
* ``unguarded_postings_per_second``: the same alternation without the
  whole-word guard. Python's ``re`` has no multi-pattern automaton: it
  tries every alias at every character, so this "raw" matcher is slower
  than the guarded one, and slower than the whole extractor.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

from bench.common import parser, run, run_child_json
from bench.synthetic import generate

FIGURES = ("texts", "mean_text_kb", "extract_seconds", "extract_postings_per_second", "extract_mb_per_second",
           "extract_cpu_postings_per_second", "extract_cold_postings_per_second", "distinct_sentence_share",
           "requirements_found", "startup_import_seconds", "startup_compile_seconds", "startup_first_extract_seconds",
           "startup_process_seconds", "startup_uncached_first_extract_seconds", "startup_uncached_process_seconds",
           "aho_corasick_postings_per_second", "aho_corasick_occurrences", "extract_share_of_aho_corasick",
           "ceiling_seconds", "ceiling_postings_per_second", "ceiling_matches", "extract_share_of_ceiling",
           "unguarded_postings_per_second")
MIN_CHARS, MAX_CHARS = 2000, 5000

# Run in a fresh interpreter: what a `medcoder extract` or crawl process pays before its first posting.
# The first posting is a whole synthetic one, so models the extractor loads on first need are included.
STARTUP_CODE = """
import json, sys, time
text = sys.stdin.read()
t0 = time.perf_counter()
from analysis.extract import extract
from analysis.taxonomy import load_taxonomy
t1 = time.perf_counter()
load_taxonomy()
t2 = time.perf_counter()
extract(text)
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "compile": t2 - t1, "first": t3 - t2}))
"""


def texts(n: int, seed: int) -> list[str]:
    """The first ``n`` synthetic descriptions of 2-5 KB."""
    out = []
    for row in generate(n * 4, seed):
        if MIN_CHARS <= len(row["description"]) <= MAX_CHARS:
            out.append(row["description"])
            if len(out) == n:
                return out
    raise RuntimeError(f"only {len(out)} descriptions of 2-5 KB among {n * 4} postings")


def raw_matcher(*, whole_words: bool = True) -> re.Pattern:
    """One alternation of every taxonomy alias, longest first, case-insensitive.

    ``whole_words`` adds the guard the taxonomy's own matcher uses (no word
    character before or after): most positions then fail on one look-behind
    instead of trying every alias.
    """
    from analysis.taxonomy import load_taxonomy

    aliases = {a for s in load_taxonomy().skills.values() for a in (*s.aliases, *s.strict)}
    body = "|".join(re.escape(a) for a in sorted(aliases, key=lambda a: (-len(a), a)))
    return re.compile(r"(?<!\w)(?:" + body + r")(?!\w)" if whole_words else body, re.IGNORECASE)


def _scan(pattern: re.Pattern, corpus: list[str]) -> tuple[float, int]:
    matches = 0
    t0 = time.perf_counter()
    for text in corpus:
        for _ in pattern.finditer(text):
            matches += 1
    return time.perf_counter() - t0, matches


def startup(first_posting: str, cache_dir: Path) -> dict:
    """Start-up figures: one fresh process with an empty model cache, then the median of three that find it filled.

    Each process is also timed from outside, interpreter included.
    """
    cache = {"MEDCODER_CACHE_DIR": str(cache_dir)}

    def one() -> dict:
        t0 = time.perf_counter()
        inner = run_child_json(["-c", STARTUP_CODE], stdin=first_posting, env=cache)
        return {**inner, "process": time.perf_counter() - t0}

    uncached = one()  # fits the sentence classifier and writes the cache
    runs = [one() for _ in range(3)]
    figures = {key: round(statistics.median(r[key] for r in runs), 3) for key in runs[0]}
    return {**figures, **{f"uncached_{key}": round(value, 3) for key, value in uncached.items()}}


def aho_corasick_baseline(corpus: list[str]) -> tuple[float, int]:
    """Every lower-cased alias found in every lower-cased text by one automaton: (seconds, occurrences)."""
    import ahocorasick

    from analysis.taxonomy import load_taxonomy

    automaton = ahocorasick.Automaton()
    for alias in {a.lower() for s in load_taxonomy().skills.values() for a in (*s.aliases, *s.strict)}:
        automaton.add_word(alias, alias)
    automaton.make_automaton()
    found = 0
    t0 = time.perf_counter()
    for text in corpus:
        for _ in automaton.iter(text.lower()):
            found += 1
    return time.perf_counter() - t0, found


def timed_extraction(corpus: list[str], *, cold: bool = False) -> tuple[float, float, int]:
    """Extract from each text in turn on one core: (wall seconds, CPU seconds, requirements found).

    Taxonomy and models are loaded first (start-up is measured apart) and
    every memo is then emptied, as in a new process; ``cold`` also forgets
    every memoised sentence reading before each posting: the rate on text
    never seen before. Also the loop of ``bench.extract_ab``.
    """
    from analysis.extract import clear_caches, extract
    from analysis.taxonomy import load_taxonomy

    tax = load_taxonomy()
    extract(corpus[0])
    clear_caches()
    found = 0
    t0, cpu0 = time.perf_counter(), time.process_time()
    for text in corpus:
        if cold:
            clear_caches(tax)
        found += len(extract(text).requirements())
    return time.perf_counter() - t0, time.process_time() - cpu0, found


def measure(n: int, args: argparse.Namespace, workdir: Path) -> dict:
    corpus = texts(n, args.seed)
    total_chars = sum(len(t) for t in corpus)
    start = startup(corpus[0], workdir / f"model-cache-{n}")
    seconds, cpu, found = timed_extraction(corpus)

    ceiling, matches = _scan(raw_matcher(), corpus)
    aho, aho_found = aho_corasick_baseline(corpus)
    unguarded, _ = _scan(raw_matcher(whole_words=False), corpus)

    from analysis.extract import read_sentences
    from analysis.taxonomy import load_taxonomy

    tax = load_taxonomy()
    cold, _, _ = timed_extraction(corpus, cold=True)
    # How much the memo can save on these texts: the share of their sentences that are distinct.
    all_sentences = [r.text for text in corpus for r in read_sentences(text, tax)]
    distinct_share = len(set(all_sentences)) / max(1, len(all_sentences))
    # The taxonomy's own matcher (automaton-guided trie pattern) over whole texts, without its memo.
    t0 = time.perf_counter()
    for text in corpus:
        tax.scan(text)
    trie = time.perf_counter() - t0

    return {
        "texts": len(corpus),
        "mean_text_kb": round(total_chars / len(corpus) / 1024, 2),
        "extract_seconds": round(seconds, 2),
        "extract_postings_per_second": round(len(corpus) / seconds, 1),
        # CPU time of this process alone: on a shared machine less disturbed by others' load than the wall clock.
        "extract_cpu_postings_per_second": round(len(corpus) / cpu, 1),
        "extract_mb_per_second": round(total_chars / seconds / 2**20, 3),
        "requirements_found": found,
        "startup_import_seconds": start["import"],
        "startup_compile_seconds": start["compile"],
        "startup_first_extract_seconds": start["first"],
        "startup_process_seconds": start["process"],
        "startup_uncached_first_extract_seconds": start["uncached_first"],
        "startup_uncached_process_seconds": start["uncached_process"],
        "aho_corasick_postings_per_second": round(len(corpus) / aho, 1),
        "aho_corasick_occurrences": aho_found,
        "extract_share_of_aho_corasick": round(aho / seconds, 3),
        "ceiling_seconds": round(ceiling, 3),
        "ceiling_postings_per_second": round(len(corpus) / ceiling, 1),
        "ceiling_matches": matches,
        "extract_share_of_ceiling": round(ceiling / seconds, 3),
        "extract_cold_postings_per_second": round(len(corpus) / cold, 1),
        "distinct_sentence_share": round(distinct_share, 3),
        "taxonomy_matcher_postings_per_second": round(len(corpus) / trie, 1) if trie else None,
        "unguarded_seconds": round(unguarded, 3),
        "unguarded_postings_per_second": round(len(corpus) / unguarded, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    args = parser(__doc__, 10_000).parse_args(argv)
    return run("extract_bench", measure, args, argv)


if __name__ == "__main__":
    main()
