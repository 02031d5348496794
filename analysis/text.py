"""Posting text: HTML to structured plain text, and splitting it into lines with their section.

The extractor needs the structure that career-site HTML carries: headings
("Qualifications", "Preferred") decide whether a line is a requirement, and
bullets separate requirements. So HTML becomes plain text in which a heading
is a line of its own starting with ``## `` and a list item starts with ``- ``.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from operator import itemgetter

import ahocorasick
from bs4 import BeautifulSoup, NavigableString, Tag

BLOCK_TAGS = {
    "p", "div", "section", "article", "header", "footer", "table", "tr", "ul", "ol",
    "dl", "dt", "dd", "blockquote", "pre", "form", "main", "aside", "nav", "hr",
}
HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head"}
BULLET_RE = re.compile(r"^\s*(?:[•·▪◦●■□➢➤►✓✔❖⁃∙*]|-(?=\s)|–|—|\d{1,2}[.)](?=\s)|[a-z][.)](?=\s))\s*")
INVISIBLE_RE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
MAX_INPUT_CHARS = 2_000_000  # a posting is a few KB; anything this large is not a posting


HTML_MARK_RE = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*[\s>/]|&lt;/?[a-zA-Z]")


def looks_like_html(text: str) -> bool:
    """True when ``text`` carries HTML markup (tags or escaped tags)."""
    head = text[:5000]
    # The substring tests run at C speed and settle most plain text; the pattern scans at about 10 ns a character.
    return ("<" in head or "&lt;" in head) and bool(HTML_MARK_RE.search(head))


def clean_inline(text: str | None) -> str | None:
    """One line of text: entities unescaped, invisible characters dropped, spaces collapsed; None if empty."""
    if text is None:
        return None
    text = str(text)
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():  # the common all-ASCII line needs neither step
        text = unicodedata.normalize("NFKC", INVISIBLE_RE.sub("", text))
    text = " ".join(text.split())
    return text or None


def html_to_text(markup: str | None) -> str:
    """Plain text from posting HTML, keeping headings (``## ``) and list items (``- ``) on their own lines."""
    if not markup:
        return ""
    markup = markup[:MAX_INPUT_CHARS]
    if "&lt;" in markup and "<" not in markup.replace("&lt;", ""):
        markup = html.unescape(markup)  # entity-escaped HTML, as some ATS APIs send it
    if not looks_like_html(markup):
        return normalise_lines(markup)
    soup = BeautifulSoup(markup, "lxml")
    lines: list[str] = []
    current: list[str] = []
    # An <li> whose text is not out yet: its first line keeps the "- " even when
    # it sits in a block child, as in the <li><p>...</p></li> that Ashby and Lever send.
    open_item = [False]

    def flush(prefix: str = "") -> None:
        text = clean_inline("".join(current))
        current.clear()
        if text:
            if open_item[0] and not prefix:
                prefix = "- "
            open_item[0] = False
            lines.append(prefix + text)

    # An explicit stack, not recursion: a page nested 10,000 elements deep is text, not a crash.
    stack: list = [soup]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):  # ("exit", prefix): the element's text is complete
            flush(node[1])
            if node[1] == "- ":
                open_item[0] = False
            continue
        if isinstance(node, NavigableString):
            if node.__class__.__name__ not in ("Comment", "Doctype", "Declaration", "ProcessingInstruction", "CData"):
                current.append(str(node))
            continue
        if not isinstance(node, Tag) or (node is not soup and node.name in SKIP_TAGS):
            continue
        name = node.name
        if name == "br":
            flush()
            continue
        if name in HEADING_TAGS:
            flush()
            stack.append(("exit", "## "))
        elif name == "li":
            flush()
            open_item[0] = True
            stack.append(("exit", "- "))
        elif name in BLOCK_TAGS or name in ("td", "th"):
            flush()
            stack.append(("exit", ""))
        stack.extend(reversed(list(node.children)))
    flush()
    return normalise_lines("\n".join(lines))


def normalise_lines(text: str) -> str:
    """Tidy plain text: bullets as ``- ``, bold-looking headings as ``## ``, blank lines dropped."""
    return "\n".join(line for raw in text.replace("\r", "\n").split("\n") if (line := normalise_line(raw)))


# Postings repeat whole lines (boilerplate, a board's template): each distinct line is tidied once.
@lru_cache(maxsize=65536)
def normalise_line(raw: str) -> str | None:
    """One line tidied as :func:`normalise_lines` tidies it; None when it is blank."""
    line = clean_inline(raw)
    if not line:
        return None
    if line.startswith("## ") or line.startswith("- "):
        return line
    bullet = BULLET_RE.match(line)
    if bullet and bullet.end() < len(line):
        return "- " + line[bullet.end():].strip()
    if is_heading_line(line):
        return "## " + line.rstrip(":").strip()
    return line


# Words that make up section headings ("What you need", "Desired candidate profile", "Roles &
# responsibilities"). A short line made only of these, with at least one head word, is a heading
# even without a colon or capitals: career sites set such headings in bold paragraphs, and bold is lost.
HEADING_VOCABULARY = frozenset("""
    a about abilities additional an and apply are basic benefits bring can candidate certification certifications code
    company compensation competencies core criteria day description desired details do duties duty education eligibility
    essential expect expectations experience for functions get good have how ideal in is job join key knowledge look looking
    minimum must need needs nice of offer offers opportunity or our overview pay perks position preferred profile
    qualification qualifications require required requirement requirements responsibilities responsibility role roles
    salary schedule skills summary team the this to us we what who why will you your you'll you're we'll we're
    & / -
""".split())
HEADING_HEAD_WORDS = re.compile(
    r"^(?:requir\w*|qualif\w*|responsib\w*|duties|skills|eligibility|profile|benefits|perks|compensation|pay|salary|education|"
    r"experience|certifications?|details|description|summary|overview|do|need|offer|bring|code|role|roles|job|about|apply|"
    r"preferred|required|criteria|expect\w*|functions|knowledge|competencies|schedule)$"
)


def is_heading_line(line: str) -> bool:
    """A short line that reads as a section heading: "QUALIFICATIONS", "Required skills:", "What you need"."""
    words = line.rstrip(":").split()
    if not words or len(words) > 7 or len(line) > 60:
        return False
    if line.endswith(":"):
        return True
    letters = [c for c in line if c.isalpha()]
    if len(letters) >= 4 and all(c.isupper() for c in letters):
        return True
    lowered = [w.lower().replace("’", "'") for w in words]
    return (len(words) <= 5 and not re.search(r"[.!?;,\d]$", line) and all(w in HEADING_VOCABULARY for w in lowered)
            and any(HEADING_HEAD_WORDS.match(w) for w in lowered))


SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?;])\s+(?=[A-Z(\"'])")
ABBREVIATION_END_RE = re.compile(
    r"(?:\b(?:[A-Za-z]\.){2,}|\b(?:e\.g|i\.e|etc|approx|incl|min|max|yrs?|no|vs|dr|mr|ms|pvt|ltd|inc|co|st|b\.sc|m\.sc|b\.pharm|m\.pharm|pharm)\.)$",
    re.IGNORECASE,
)


# Every cut of SENTENCE_SPLIT_RE follows one of these; led by a character class, it is found at C speed.
SENTENCE_END_RE = re.compile(r"[.!?;]\s")
ABBREVIATION_MAX = 12  # no match of ABBREVIATION_END_RE needs more of a part's end to be found


def split_sentences(line: str) -> list[str]:
    """Split one line into sentences (periods inside "B.Sc." or "e.g." are kept)."""
    if not SENTENCE_END_RE.search(line):  # most lines (a bullet, a heading) are one sentence
        return [line.strip()] if line.strip() else []
    parts = SENTENCE_SPLIT_RE.split(line)
    merged: list[str] = []
    for part in parts:
        # "B.Sc. Nursing" or "approx. 3" would otherwise be cut after the abbreviation. Searched from near
        # the end only: the pattern is anchored there, and "\b" still sees the character before the start.
        if merged and ABBREVIATION_END_RE.search(merged[-1], max(0, len(merged[-1]) - ABBREVIATION_MAX)):
            merged[-1] += " " + part
        else:
            merged.append(part)
    return [p.strip() for p in merged if p.strip()]


def substring_gate(words) -> re.Pattern:
    """A pattern whose ``search`` says whether any of ``words`` occurs in a (lowercased) text.

    The rules use such gates to skip their regexes on the many sentences that
    cannot match. Compiled as a character trie, one ``search`` is 2-3x faster
    than ``any(w in text for w in words)`` and answers the same.
    """
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        if "" in node:
            return ""  # a word ends here: whatever follows, it occurred
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return re.compile(emit(trie))


class WordSpotter:
    """Which of several word lists have a word in a text, all found in one Aho-Corasick pass (pyahocorasick, in C).

    The extractor's rules each run only when a sentence holds one of the words
    that every match of them contains (their gates). One pass over the
    sentence answers all those gates at once, instead of one scan per rule.
    """

    def __init__(self, lists: dict[str, tuple[str, ...]]) -> None:
        names: dict[str, set[str]] = {}
        for name, words in lists.items():
            for word in words:
                names.setdefault(word, set()).add(name)
        self._automaton = ahocorasick.Automaton()
        for word, owners in names.items():
            self._automaton.add_word(word, frozenset(owners))
        self._automaton.make_automaton()
        self.lists = {name: tuple(words) for name, words in lists.items()}
        self.every = frozenset(lists)

    def spot(self, text: str, low: str) -> frozenset[str]:
        """The names of the lists with a word in ``low`` (``text.lower()``); every name for non-ASCII text.

        Non-ASCII text admits every list, as :func:`may_match` does: there lower-casing and
        ``re.IGNORECASE`` fold case differently.
        """
        if not text.isascii():
            return self.every
        return frozenset().union(*map(itemgetter(1), self._automaton.iter(low)))


def may_match(words: tuple[str, ...], text: str, low: str) -> bool:
    """Whether a case-insensitive pattern, every match of which contains one of ``words``, can match ``text``.

    ``words`` are lower-case and ``low`` is ``text.lower()``. On ASCII text lower-casing folds case
    exactly as ``re.IGNORECASE`` matches it, so finding none of the words rules the pattern out. Other
    text is always admitted: "İ" lower-cases to two characters and "ı" matches "i" under
    ``re.IGNORECASE``, so lower-cased words could miss a match there. For the few words of one pattern
    a plain loop of ``in`` tests is faster than a :func:`substring_gate`.
    """
    if not text.isascii():
        return True
    for word in words:
        if word in low:
            return True
    return False
