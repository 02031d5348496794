"""HTML to structured text, and sentence splitting."""

import pytest

from analysis.text import clean_inline, html_to_text, is_heading_line, split_sentences


def test_headings_bullets_and_entities():
    html = ("<div><h3>About</h3><p>We&nbsp;are big &amp; kind.</p><p><strong>REQUIREMENTS:</strong><br>• CPC required<br>"
            "• 2+ yrs</p><ul><li>ICD-10</li><li></li></ul><p>Preferred:</p><p>1. RHIT</p><script>var x = 1;</script></div>")
    assert html_to_text(html) == ("## About\nWe are big & kind.\n## REQUIREMENTS\n- CPC required\n- 2+ yrs\n- ICD-10\n"
                                  "## Preferred\n- RHIT")


def test_entity_escaped_html_is_unescaped_first():
    assert html_to_text("&lt;p&gt;Hello&lt;/p&gt;&lt;ul&gt;&lt;li&gt;CPC&lt;/li&gt;&lt;/ul&gt;") == "Hello\n- CPC"


def test_plain_text_keeps_lines_and_drops_invisible_characters():
    assert html_to_text("Line one\u200b\n\n* star bullet\nQUALIFICATIONS\n") == "Line one\n- star bullet\n## QUALIFICATIONS"


def test_empty_input():
    assert html_to_text("") == "" and html_to_text(None) == ""


def test_sentences_keep_abbreviations():
    assert split_sentences("Must hold a CPC. Degree in B.Sc. Nursing or B.Pharm. preferred; U.S. based only.") == [
        "Must hold a CPC.", "Degree in B.Sc. Nursing or B.Pharm. preferred;", "U.S. based only."]


def test_list_item_wrapping_a_paragraph_keeps_its_bullet():
    assert html_to_text("<ul><li><p>CRC required</p></li><li><p>2+ years</p><p>of coding</p></li></ul>") == (
        "- CRC required\n- 2+ years\nof coding")


@pytest.mark.parametrize("line,heading", [
    ("Requirements", True), ("What you need", True), ("Desired candidate profile", True), ("Roles & responsibilities", True),
    ("About the role", True), ("Preferred", True), ("QUALIFICATIONS", True), ("Required skills:", True),
    ("CPC required", False), ("Excellent communication skills", False), ("Work from office only", False),
    ("Medical office or billing experience", False), ("Why join us?", False), ("Day shift.", False),
])
def test_heading_lines(line, heading):
    assert is_heading_line(line) is heading


def test_bold_paragraph_headings_without_colons():
    assert html_to_text("<p><b>What you need</b></p><p>CPC required</p><p><b>Work from office only</b></p>") == (
        "## What you need\nCPC required\nWork from office only")


def test_clean_inline_ascii_and_unicode_paths():
    assert clean_inline("  CPC &amp; CCS\t required ") == "CPC & CCS required"
    assert clean_inline("ﬁve\u200b\u00a0years\u2003of CPC") == "five years of CPC"
    assert clean_inline(" \u200b ") is None


def test_substring_gate_answers_as_any_substring_test():
    from hypothesis import given, settings, strategies as st

    from analysis.text import substring_gate

    words = ("him", "hit", "health info", "10+2", "b.sc", "sc", "can't", "we ", "(a)")
    gate = substring_gate(words)
    assert gate.search("bsc nursing") and gate.search("a 10+2 pass") and not gate.search("")

    @settings(max_examples=150, deadline=None)
    @given(st.text(alphabet="himtscab.0+2 ()'n", max_size=30))
    def same(text):
        assert bool(gate.search(text)) == any(w in text for w in words)

    same()


def test_clause_and_segment_gates_never_skip_a_cut():
    """The gates only skip the split where it would find nothing: same spans as splitting every sentence."""
    from hypothesis import given, settings, strategies as st

    from analysis import sections as sec

    def spans(rx, text):
        out, start = [], 0
        for m in rx.finditer(text):
            out.append((start, m.start()))
            start = m.end()
        return out + [(start, len(text))]

    @settings(max_examples=400, deadline=None)
    @given(st.text(alphabet="ab ;()-–—.\t\u00a0BUTwhilehoweverwhereas", max_size=40))
    def same(text):
        assert sec.clauses(text) == tuple(spans(sec.CLAUSE_SPLIT_RE, text))
        assert sec.segments(text) == tuple((a, b) for a, b in spans(sec.SEGMENT_SPLIT_RE, text) if b > a)

    same()


def _word_gated_patterns():
    """Every (pattern, words) pair whose pattern runs only where :func:`analysis.text.may_match` admits the text."""
    from analysis import conditions, education, sections as sec

    yield sec.PREFERRED_CUE, sec.PREFERRED_CUE_WORDS
    yield sec.REQUIRED_CUE, sec.REQUIRED_CUE_WORDS
    yield sec.BENEFIT_CUE, sec.BENEFIT_CUE_WORDS
    yield conditions.NOT_REMOTE_RE, conditions.NOT_REMOTE_WORDS
    yield conditions.NO_SHIFT_RE, conditions.NO_SHIFT_WORDS
    for mode, rx in conditions.WORK_MODE_PATTERNS:
        yield rx, conditions.MODE_PATTERN_WORDS[mode]
    for name, rx in conditions.SHIFT_PATTERNS:
        yield rx, conditions.SHIFT_PATTERN_WORDS[name]
    for name, rx in education.LEVEL_PATTERNS.items():
        yield rx, education.LEVEL_WORDS[name]
    for name, rx in education.FIELD_PATTERNS.items():
        yield rx, education.FIELD_WORDS[name]
    from analysis import extract

    yield extract.STRONG_REQUIRED_RE, extract.STRONG_REQUIRED_WORDS


@pytest.mark.parametrize("pattern, words", list(_word_gated_patterns()), ids=lambda x: getattr(x, "pattern", "")[:30])
def test_word_gates_admit_every_match(pattern, words):
    """A word gate never hides a match: ASCII text that holds a match of the pattern holds one of its words."""
    from hypothesis import HealthCheck, given, settings, strategies as st

    from analysis.text import may_match

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
    @given(st.from_regex(pattern, alphabet=st.characters(max_codepoint=127)))
    def admitted(text):
        assert may_match(words, text, text.lower())

    admitted()


def test_word_gates_admit_any_text_that_is_not_ascii():
    """Where lower-casing and re.IGNORECASE fold case differently ("REQUİRED"), the pattern decides."""
    from analysis import sections as sec
    from analysis.text import may_match

    assert sec.REQUIRED_CUE.search("REQUİRED") and may_match(sec.REQUIRED_CUE_WORDS, "REQUİRED", "REQUİRED".lower())
    assert sec.cue_level("CPC requıred") == sec.REQUIRED
    assert not may_match(sec.REQUIRED_CUE_WORDS, "CPC preferred", "cpc preferred")


def test_word_spotter_names_every_list_with_a_word_in_the_text():
    from analysis.text import WordSpotter

    spotter = WordSpotter({"benefit": ("we ", "we will ", "paid"), "shift": ("shift", "night"), "none": ("zzz",)})
    # Overlapping and nested words are all found ("we will " holds "we ").
    assert spotter.spot("We will pay", "we will pay") == {"benefit"}
    assert spotter.spot("Night shift", "night shift") == {"shift"}
    assert spotter.spot("Unpaid nights", "unpaid nights") == {"benefit", "shift"}
    assert spotter.spot("", "") == frozenset()
    assert spotter.spot("Nacht – Schicht", "nacht – schicht") == {"benefit", "shift", "none"}  # not ASCII: every list


def test_word_spotter_agrees_with_plain_substring_tests():
    from hypothesis import given, settings, strategies as st

    from analysis.extract import SPOTTER
    from analysis.text import WordSpotter

    lists = {"a": ("we ", "shift", "at least", "10+2"), "b": ("hift", "least", "no "), "c": ("x",)}
    spotter = WordSpotter(lists)
    words = [w for ws in lists.values() for w in ws] + ["We ", "SHIFT", " ", "+", "2"]

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.one_of(st.sampled_from(words), st.text(alphabet=st.characters(max_codepoint=127), max_size=5)), max_size=12))
    def agrees(parts):
        text = "".join(parts)
        low = text.lower()
        assert spotter.spot(text, low) == {name for name, ws in lists.items() if any(w in low for w in ws)}
        assert SPOTTER.spot(text, low) <= SPOTTER.every

    agrees()


def test_split_sentences_gates_change_no_cut():
    """The gate and the end-anchored abbreviation search cut exactly where the plain split and search cut."""
    import re

    from hypothesis import given, settings, strategies as st

    from analysis import text as txt

    def reference(line):
        merged = []
        for part in txt.SENTENCE_SPLIT_RE.split(line):
            if merged and txt.ABBREVIATION_END_RE.search(merged[-1]):
                merged[-1] += " " + part
            else:
                merged.append(part)
        return [p.strip() for p in merged if p.strip()]

    pieces = ["B.Sc.", "e.g.", "A.B.C.D.E.F.G.H.", "x.y.", "approx.", "b.pharm.", "Mr.", "no.", "piano.", ". ", "? ", "; ",
              "!  ", " ", "\t", "CPC", "Coder", "(", "'", "3", "a", "Z", "."]

    @settings(max_examples=500, deadline=None)
    @given(st.lists(st.sampled_from(pieces), max_size=14))
    def same(parts):
        line = "".join(parts)
        assert txt.split_sentences(line) == reference(line)

    same()
    assert re.search(txt.ABBREVIATION_END_RE, "Degree in B.Sc.")  # the reference path is exercised


def test_clause_gate_words_say_what_the_clause_gate_says_on_ascii_text():
    from hypothesis import given, settings, strategies as st

    from analysis import sections as sec

    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.sampled_from([";", "but", "whil", "e", "however", "whereas", "-", ".", " ", "\t", "\n", "x", "B", "UT"]), max_size=10))
    def same(parts):
        text = "".join(parts)
        low = text.lower()
        assert bool(sec.CLAUSE_GATE.search(low)) == any(w in low for w in sec.CLAUSE_GATE_WORDS)

    same()
