"""Drafting a candidate profile from a resume (PDF, DOCX or plain text), for the person to review.

The taxonomy's matcher, the one :func:`analysis.extract.extract` uses, finds
credentials, code sets, tools and skills; the education ladder is the
extractor's too (:mod:`analysis.education`). What differs from a posting is
the reading:

* A credential in a resume is *held*, not required: "CPC, AAPC - 2023"
  means the person has a CPC. "CRC (in progress)", "pursuing CDIP" or
  "preparing for the CCS exam" mean ``in_progress``; "CPC-A" (or "CRC-A")
  means ``apprentice``. Credentials count where a resume states them: the
  name block, the summary, certification and skills sections, or a line
  naming the issuer or a year ("Certified Coding Specialist (CCS), AHIMA,
  2017"). A job bullet such as "helped colleagues prepare for the CCS exam"
  is about other people and is ignored.
* Years of experience come from the date ranges of coding jobs (see
  :func:`parse_range` for the arithmetic), overlapping jobs counted once,
  and per setting when a job's title lines name one (inpatient, outpatient,
  pro-fee, ED, risk adjustment...). A job whose title and bullets never
  mention coding (a nurse, a front-desk post) is listed but not counted.
  Without any dated coding job, the extractor's reading of the summary
  ("4 years of coding experience") is used.
* Education: the highest completed level in the education section, and the
  degree as written ("Bachelor of Pharmacy (B.Pharm)").

A resume is personal: it is read from the file the person names, never
written to the postings database and never logged. E-mail addresses, phone
numbers and web links are dropped before anything else reads the text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from analysis import education
from analysis.extract import extract
from analysis.taxonomy import Taxonomy, load_taxonomy
from analysis.text import BULLET_RE, INVISIBLE_RE

FORMATS = {".pdf": "pdf", ".docx": "docx", ".txt": "txt", ".text": "txt", ".md": "txt"}
MAX_BYTES = 20_000_000  # a resume is a few hundred KB; anything this large is something else
STATUS_RANK = {"in_progress": 0, "apprentice": 1, "active": 2}


class ResumeError(ValueError):
    """A resume medcoder cannot read; the message names the file, never its contents."""


# --- reading the file ----------------------------------------------------------


def read_resume(path: str | Path) -> str:
    """The text of a resume file: PDF (pypdf), DOCX (python-docx) or plain text, one line per line."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ResumeError(f"{path}: too large for a resume (over {MAX_BYTES // 1_000_000} MB)")
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise ResumeError(f"{path}: cannot read the resume ({exc.strerror})") from exc
    # The file's own signature wins over its name: a PDF saved as .txt is still a PDF.
    kind = "pdf" if head.startswith(b"%PDF") else "docx" if head.startswith(b"PK") else FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ResumeError(f"{path}: unsupported resume type {path.suffix or '(no extension)'!r}; use PDF, DOCX or TXT")
    text = {"pdf": _read_pdf, "docx": _read_docx, "txt": _read_txt}[kind](path)
    if not text.strip():
        hint = " (a scanned image? medcoder reads PDFs that contain text)" if kind == "pdf" else ""
        raise ResumeError(f"{path}: no text found in the resume{hint}")
    return text


def _read_txt(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # Windows editors' default for "plain text"


def _read_pdf(path: Path) -> str:
    try:
        from pypdf import PdfReader
    except ImportError as exc:  # pragma: no cover - a dependency of medcoder
        raise ResumeError("reading PDF resumes needs pypdf (pip install pypdf)") from exc
    try:
        reader = PdfReader(path)
        encrypted = reader.is_encrypted and not reader.decrypt("")
        text = None if encrypted else "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception as exc:  # noqa: BLE001 - a damaged file fails in many ways inside pypdf; all mean "unreadable"
        # The exception's class only: pypdf messages can quote the file's bytes.
        raise ResumeError(f"{path}: not a readable PDF ({type(exc).__name__})") from None
    if text is None:
        raise ResumeError(f"{path}: the PDF is password-protected; save an unprotected copy")
    return text


def _read_docx(path: Path) -> str:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as exc:  # pragma: no cover - a dependency of medcoder
        raise ResumeError("reading DOCX resumes needs python-docx (pip install python-docx)") from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # noqa: BLE001 - not a zip, not Word, damaged parts: all mean "unreadable"
        raise ResumeError(f"{path}: not a readable DOCX ({type(exc).__name__})") from None
    lines: list[str] = []
    # Body paragraphs and tables in document order: resume templates put the contact block in a table.
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(_docx_paragraph(Paragraph(block, document)))
        elif tag == "tbl":
            for row in Table(block, document).rows:
                cells = list(dict.fromkeys(cell.text.strip() for cell in row.cells if cell.text.strip()))
                lines.append(" | ".join(cells))
    return "\n".join(lines)


def _docx_paragraph(paragraph) -> str:
    # Word draws list bullets itself; they are not in the text, so put one back.
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    text = paragraph.text
    return f"- {text}" if "List" in style and text.strip() else text


# --- lines and sections --------------------------------------------------------

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL_RE = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|in|org|net|io|me)/\S*", re.I)
PHONE_RE = re.compile(r"(?:\+\d{1,3}[\s-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}\b|\+\d{1,3}[\s-]?\d{4,5}[\s-]?\d{5}\b|\b\d{10}\b")

SECTION_RULES: list[tuple[str, re.Pattern]] = [
    ("summary", re.compile(r"(?:professional |career |personal |executive |profile )?(?:summary|profile|objective|overview)|about me"
                           r"|summary of (?:qualifications|experience|skills)")),
    ("certifications", re.compile(
        r"(?:professional |relevant )?(?:licen[sc]es?|certifications?|credentials?|certificates?)"
        r"(?:\s*(?:&|and|/|,)\s*(?:licen[sc]es?|certifications?|credentials?|certificates?|training))?")),
    ("experience", re.compile(
        r"(?:professional |work |relevant |coding |career |employment )?(?:experience|employment(?: history)?|work history|career history)"
        r"|internships?|(?:training|experience)(?:\s*(?:&|and|/)\s*(?:internships?|training|experience))?")),
    ("education", re.compile(r"education(?:al)?(?: (?:qualifications?|background|details))?|academic(?:s| (?:qualifications?|background|details))?"
                             r"|qualifications?|education (?:&|and) (?:training|certifications?)")),
    ("skills", re.compile(r"(?:technical |core |key |coding |professional )?(?:skills|competenc(?:ies|e)|expertise|proficienc(?:ies|y))"
                          r"(?:\s*(?:&|and|/)\s*(?:tools|expertise|skills|software))?|tools|software")),
    ("other", re.compile(r"projects?|languages?|references?|(?:key )?achievements?|awards?|hobbies|interests|personal (?:details|information|data)"
                         r"|declaration|activities|volunteer(?:ing)?(?: experience)?|publications?|memberships?|affiliations?")),
]


def heading_kind(line: str) -> str | None:
    """The resume section a heading line opens (summary, certifications, experience, education, skills, other), or None."""
    text = re.sub(r"\s+", " ", line.strip().lstrip("#").strip().rstrip(":").strip()).lower()
    if not text or len(text) > 45:
        return None
    for kind, rx in SECTION_RULES:
        if rx.fullmatch(text):
            return kind
    return None


@dataclass(frozen=True)
class Line:
    number: int  # 1-based, in the text as read
    text: str  # tidied, with e-mails, phones and links removed
    section: str  # "header" before the first heading, else the heading's kind
    bullet: bool
    after_gap: bool = False  # a blank line or a heading comes just before it


def resume_lines(text: str) -> list[Line]:
    """The resume's non-empty lines with the section each sits in; headings themselves are left out."""
    lines: list[Line] = []
    section, gap = "header", True
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        line = unicodedata.normalize("NFKC", INVISIBLE_RE.sub("", raw))
        line = re.sub(r"\s?(?:®|™|\(R\)|\(TM\))", "", line)
        line = PHONE_RE.sub(" ", URL_RE.sub(" ", EMAIL_RE.sub(" ", line)))
        kind = heading_kind(line)
        if kind:
            section, gap = kind, True
            continue
        bullet = BULLET_RE.match(line)
        is_bullet = bool(bullet) and bullet.end() < len(line.rstrip())
        body = line[bullet.end():] if is_bullet else line
        # Keep wide gaps as " | ": resumes align dates to the right with spaces or tabs.
        body = re.sub(r"[ \t]*(?:\t|\s{3,})[ \t]*", " | ", body.strip())
        body = re.sub(r"\s+", " ", body).strip(" |")
        if not body:
            gap = True
            continue
        if lines and not gap and not is_bullet and body[0].islower():
            # A wrapped line ("...; preparing for" / "the CCS exam."): one sentence, one line.
            last = lines[-1]
            lines[-1] = Line(last.number, f"{last.text} {body}", section, last.bullet, last.after_gap)
        else:
            lines.append(Line(number, body, section, is_bullet, gap))
        gap = False
    return lines


# --- date ranges -----------------------------------------------------------------

MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}
MONTH_NAME = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
YEAR = r"(?:19|20)\d{2}"
POINT = rf"(?:{MONTH_NAME}\s*,?\s*'?{YEAR}|(?:0?[1-9]|1[0-2])\s*[/.-]\s*{YEAR}|{YEAR})"
OPEN_END = r"(?:present|current(?:ly)?|now|ongoing|today|till\s+(?:date|now)|to\s+date|date)"
RANGE_RE = re.compile(
    rf"(?<![\w/.-])(?P<start>{POINT})\s*(?:-|–|—|to|until|till|through|thru)\s*(?P<end>{POINT}|{OPEN_END})(?![\w/])", re.I)


@dataclass(frozen=True)
class DateRange:
    text: str  # as written
    start: int  # month index (year * 12 + month - 1), inclusive
    end: int  # month index, exclusive

    @property
    def months(self) -> int:
        return self.end - self.start


def _point(text: str) -> tuple[int, int | None]:
    year = int(re.search(YEAR, text).group(0))
    name = re.match(r"[a-z]+", text, re.I)
    if name:
        return year, MONTHS[name.group(0)[:3].lower()]
    number = re.match(r"(\d{1,2})\s*[/.-]", text)
    return year, int(number.group(1)) if number else None


def parse_range(text: str, today: date) -> DateRange | None:
    """The first job date range in ``text``, as months, or None.

    Named months count inclusively: "Jun 2020 - Mar 2023" is June 2020
    through March 2023, 34 months. "Present" (current, till date...) runs
    through today's month: "Jan 2021 - Present" on 2025-04-15 is 52 months.
    Year-only ranges count whole years between: "2019-2022" is 36 months (a
    bare start year is January; a bare end year ends before its January).
    Every range counts at least one month, and none runs past today.
    """
    m = RANGE_RE.search(text)
    if not m:
        return None
    today_index = today.year * 12 + today.month - 1
    year, month = _point(m.group("start"))
    start = year * 12 + (month or 1) - 1
    if re.fullmatch(OPEN_END, m.group("end"), re.I):
        end = today_index + 1
    else:
        year, month = _point(m.group("end"))
        end = year * 12 + month if month else year * 12
    end = min(end, today_index + 1)
    return DateRange(m.group(0), start, max(end, start + 1))


def merged_months(ranges: list[DateRange]) -> int:
    """Months covered by ``ranges``, overlaps counted once (two jobs at once are not two years a year)."""
    total, reach = 0, None
    for r in sorted(ranges, key=lambda r: r.start):
        if reach is None or r.start >= reach:
            total += r.months
            reach = r.end
        elif r.end > reach:
            total += r.end - reach
            reach = r.end
    return total


# --- jobs ------------------------------------------------------------------------

CODING_WORK_RE = re.compile(
    r"(?i:\bcod(?:er|ers|ing)\b|clinical documentation|\baudit(?:or|ing|s)?\b|health information|\babstract(?:or|ing|ion)\b"
    r"|risk adjustment|\bICD[\s-]?10|\bDRGs?\b|\bE/M\b)|\bCDI\b|\bHIM\b|\bHCC\b|\bCPT\b|\bRHIT\b")
# Title words for settings the taxonomy leaves out because they are ambiguous in postings ("ED" is also a suffix).
TITLE_SETTINGS = [("ed", re.compile(r"\b(?:ED|ER)\b")), ("risk-adjustment", re.compile(r"\bHCC\b")),
                  ("inpatient", re.compile(r"\bIP\b")), ("outpatient", re.compile(r"\bOP\b"))]


@dataclass
class Job:
    header: list[str] = field(default_factory=list)  # title, employer and date lines
    bullets: list[str] = field(default_factory=list)
    dates: DateRange | None = None
    line: int = 0  # where the dates are
    coding: bool = False
    settings: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The first header line with more than the dates on it (titles sit above or below the dates)."""
        for text in self.header:
            rest = text.replace(self.dates.text, "").strip(" |,-–—") if self.dates else text
            if rest:
                return rest
        return ""


def _jobs(lines: list[Line], today: date, tax: Taxonomy) -> list[Job]:
    """Dated jobs from the experience sections (anywhere but education and the like when a resume has none)."""
    has_experience = any(line.section == "experience" for line in lines)
    allowed = {"experience"} if has_experience else {"header", "summary", "experience"}
    jobs: list[Job] = []
    current: Job | None = None

    def close() -> None:
        nonlocal current
        if current is not None and current.dates is not None:
            jobs.append(current)
        current = None

    for line in lines:
        if line.section not in allowed:
            close()
            continue
        if line.after_gap and current is not None and current.dates is not None:
            close()  # a blank line after a dated job ends it
        dates = None if line.bullet else parse_range(line.text, today)
        if line.bullet:
            if current is not None:
                current.bullets.append(line.text)
        elif dates is not None:
            if current is None or current.dates is not None:
                close()
                current = Job()
            current.header.append(line.text)
            current.dates, current.line = dates, line.number
        else:
            if current is None or (current.dates is not None and current.bullets):
                close()
                current = Job()
            current.header.append(line.text)  # a title above the dates, or below them
    close()
    for job in jobs:
        header = " | ".join(job.header)
        job.coding = bool(CODING_WORK_RE.search(header + " " + " ".join(job.bullets)))
        found = [m.skill_id for m in tax.find(header) if tax.skills[m.skill_id].category == "setting"]
        found += [setting for setting, rx in TITLE_SETTINGS if rx.search(header)]
        job.settings = list(dict.fromkeys(found))
    return jobs


# --- credentials -----------------------------------------------------------------

IN_PROGRESS_RE = re.compile(
    r"\bin[\s-]progress\b|\bpursuing\b|\bprepar(?:ing|ation)\b|\bstudying\b|\benrolled\b|\bexpected\b|\banticipated\b|\bscheduled\b"
    r"|\bworking (?:towards?|on)\b|\bplan(?:ning)? to\b|\bupcoming\b|\bin training\b|\b(?:exam )?candidate\b|\bawaiting\b|\bongoing\b", re.I)
ISSUER_OR_YEAR_RE = re.compile(r"\b(?:AAPC|AHIMA|NHA|ACDIS|PMI)\b|\b(?:19|20)\d{2}\b")
CREDENTIAL_LEAD_RE = re.compile(r"^(?:certifications?|credentials?|licen[sc]es?)\s*:", re.I)
APPRENTICE_TEXT_RE = re.compile(r"(?:[\s-]A|apprentice)$", re.I)
HELD_SECTIONS = ("header", "summary", "certifications", "skills")


def _credentials(lines: list[Line], tax: Taxonomy) -> dict[str, tuple[str, int]]:
    """Credentials the person holds or works towards: id -> (status, line number)."""
    found: dict[str, tuple[str, int]] = {}
    for line in lines:
        matches = [m for m in tax.find(line.text)
                   if tax.skills[m.skill_id].category == "credential" and tax.skills[m.skill_id].issuer != "generic"]
        if not matches:
            continue
        stated_here = line.section in HELD_SECTIONS or CREDENTIAL_LEAD_RE.match(line.text)
        # Each credential's own stretch of text: from the previous one to the next, within a ;|• segment.
        bounds = [0, *(b.end() for b in re.finditer(r"[;|•·]|\.\s", line.text)), len(line.text) + 1]
        for i, m in enumerate(matches):
            if i and m.text.lower().startswith("certified ") and not line.text[matches[i - 1].end:m.start].strip(" -"):
                continue  # "CCS-certified inpatient coder" holds a CCS, not a CIC ("Certified Inpatient Coder")
            seg_start = max(b for b in bounds if b <= m.start)
            seg_end = min(b for b in bounds if b > m.start)
            lo = max([seg_start, *(p.end for p in matches[:i] if p.end > seg_start)])
            hi = min([seg_end, *(n.start for n in matches[i + 1:] if n.start < seg_end)])
            window = line.text[lo:hi]
            if not stated_here and not ISSUER_OR_YEAR_RE.search(line.text[seg_start:seg_end]):
                continue  # "trained coders for the CPC exam" is about someone else
            cid = m.skill_id
            if IN_PROGRESS_RE.search(window):
                status = "in_progress"
            elif cid.endswith("-A") and cid[:-2] in tax.skills:
                cid, status = cid[:-2], "apprentice"
            elif APPRENTICE_TEXT_RE.search(m.text):
                status = "apprentice"  # "CRC-A", "COC-A": spellings the taxonomy maps to the full credential
            else:
                status = "active"
            if cid not in found or STATUS_RANK[status] > STATUS_RANK[found[cid][0]]:
                found[cid] = (status, line.number)
    return found


# --- name, location, education --------------------------------------------------

US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado", "CT": "Connecticut",
    "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah",
    "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico",
}
INDIA_PLACES = {
    "andhra pradesh", "arunachal pradesh", "assam", "bihar", "chhattisgarh", "goa", "gujarat", "haryana", "himachal pradesh",
    "jharkhand", "karnataka", "kerala", "madhya pradesh", "maharashtra", "manipur", "meghalaya", "mizoram", "nagaland", "odisha",
    "punjab", "rajasthan", "sikkim", "tamil nadu", "telangana", "tripura", "uttar pradesh", "uttarakhand", "west bengal",
    "delhi", "new delhi", "ncr", "puducherry", "chandigarh", "jammu and kashmir", "ladakh", "india",
}
US_PLACE_RE = re.compile(r"^(?P<city>[A-Z][A-Za-z .'-]+),\s*(?P<state>[A-Z]{2})\b(?:\s+\d{5}(?:-\d{4})?)?(?:,?\s*(?:USA|US|United States))?$")
LOCATION_LEAD_RE = re.compile(r"^(?:location|address|based in|current location|city)\s*:?\s*", re.I)
RELOCATE_RE = re.compile(r"\b(?:willing|open|ready|happy)\b[^.;]{0,30}\breloca\w*|\breloca\w*\b[^.;]{0,15}\b(?:ok|welcome|possible)\b", re.I)
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z.'-]*(?: [A-Za-z][A-Za-z.'-]*){1,4}$")


def _name(lines: list[Line], tax: Taxonomy) -> str | None:
    for line in lines:
        if line.section != "header":
            return None
        if re.fullmatch(r"(?i)r[ée]sum[ée]|curriculum vitae|cv|bio[\s-]?data", line.text):
            continue
        # "Marcus T. Holloway, RHIT, CCS": the name is what comes before the credentials.
        name = re.split(r",|\s[|•·]\s", line.text)[0].strip()
        if NAME_RE.fullmatch(name) and not tax.find(name):
            return name.title() if name.isupper() else name
        return None
    return None


def _location(lines: list[Line]) -> tuple[str | None, list[str]]:
    """The candidate's place and its country code, from the name block or a "Location:" line."""
    candidates = [line.text for line in lines if line.section == "header"]
    candidates += [line.text for line in lines if LOCATION_LEAD_RE.match(line.text)]
    for text in candidates:
        for part in re.split(r"\s*[|•·;]\s*", LOCATION_LEAD_RE.sub("", text)):
            part = part.strip(" ,")
            us = US_PLACE_RE.match(part)
            if us and us.group("state") in US_STATES:
                return f"{us.group('city').strip()}, {us.group('state')}", ["US"]
            words = [w.strip().lower() for w in part.split(",")]
            if len(words) >= 2 and words[-1] in {name.lower() for name in US_STATES.values()} | {"usa", "united states"}:
                return part, ["US"]
            if len(words) >= 2 and words[-1] in INDIA_PLACES:
                return part, ["IN"]
    return None, []


EDUCATION_FIELD_END_RE = re.compile(r",|\s\|\s|\s[-–—]\s|\s(?:19|20)\d{2}\b|\s(?:at|from)\s")


def _education(lines: list[Line]) -> tuple[str | None, str | None]:
    """(level, field as written) of the highest completed qualification."""
    section = [line for line in lines if line.section == "education"] or lines
    best: tuple[int, str] | None = None
    for line in section:
        if IN_PROGRESS_RE.search(line.text):
            continue  # "B.Sc Nursing (expected 2026)" is not held yet
        # The extractor's ladder; a resume line names what the person has, so its highest level counts.
        levels = education.levels_in(line.text)
        if not levels:
            continue
        rank = max(levels)
        if best is None or rank > best[0]:
            degree = EDUCATION_FIELD_END_RE.split(line.text, maxsplit=1)[0].strip()
            best = (rank, degree)
    if best is None:
        return None, None
    return education.LEVELS[best[0]], best[1]


# --- the draft -------------------------------------------------------------------


@dataclass
class ResumeDraft:
    """What a resume says, in profile terms; :func:`draft_toml` writes it as a profile for review."""

    today: date
    name: str | None = None
    location: str | None = None
    countries: list[str] = field(default_factory=list)
    relocate: bool = False
    credentials: dict[str, str] = field(default_factory=dict)  # id -> active, apprentice, in_progress
    credential_lines: dict[str, int] = field(default_factory=dict)
    code_sets: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    experience_years: float = 0.0
    experience_by_setting: dict[str, float] = field(default_factory=dict)
    experience_from_summary: bool = False
    education_level: str | None = None
    education_field: str | None = None


def _years(months: int) -> float:
    return round(months / 12, 2)


def parse_resume(text: str, *, today: date | None = None, taxonomy: Taxonomy | None = None) -> ResumeDraft:
    """Read a resume's text into a :class:`ResumeDraft` (``today`` ends the "Present" ranges)."""
    tax = taxonomy or load_taxonomy()
    today = today or date.today()
    lines = resume_lines(text)
    draft = ResumeDraft(today=today, name=_name(lines, tax))
    draft.location, draft.countries = _location(lines)
    draft.relocate = any(RELOCATE_RE.search(line.text) for line in lines if line.section in ("header", "summary"))
    for cid, (status, number) in sorted(_credentials(lines, tax).items()):
        draft.credentials[cid], draft.credential_lines[cid] = status, number

    draft.jobs = _jobs(lines, today, tax)
    coding = [j for j in draft.jobs if j.coding]
    if coding:
        draft.experience_years = _years(merged_months([j.dates for j in coding]))
        settings = sorted({s for j in coding for s in j.settings})
        draft.experience_by_setting = {s: _years(merged_months([j.dates for j in coding if s in j.settings])) for s in settings}
    else:
        summary = "\n".join(line.text for line in lines if line.section in ("summary", "header"))
        # Rules only: the sentence classifier judges what a posting asks, and a summary asks nothing.
        years = extract("## Summary\n" + summary, tax, classify=False).experience_years_min if summary else None
        if years:
            draft.experience_years, draft.experience_from_summary = float(years), True

    # Everything the person lists or did: wrapped lines joined so "medical\nterminology" still matches.
    body = "\n".join(line.text for line in lines)
    by_category: dict[str, list[str]] = {}
    for m in tax.find(body):
        by_category.setdefault(tax.skills[m.skill_id].category, []).append(m.skill_id)
    job_settings = [s for j in coding for s in j.settings]
    draft.code_sets = list(dict.fromkeys(by_category.get("code_set", [])))
    draft.tools = list(dict.fromkeys(by_category.get("tool", [])))
    draft.skills = list(dict.fromkeys(by_category.get("knowledge", []) + by_category.get("soft_skill", [])
                                      + job_settings + by_category.get("setting", [])))
    draft.education_level, draft.education_field = _education(lines)
    return draft


def _toml(value: str) -> str:
    # JSON's string escapes are all valid in TOML basic strings.
    return json.dumps(value, ensure_ascii=False)


def _list(values: list[str]) -> str:
    return "[" + ", ".join(_toml(v) for v in values) + "]"


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _line(code: str, comment: str) -> str:
    """A TOML line with its comment aligned (at least two spaces apart)."""
    return f"{code.ljust(40)}  # {comment}" if comment else code


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width].rsplit(" ", 1)[0] + " …"


def draft_toml(draft: ResumeDraft, source: str) -> str:
    """The draft as a commented profile TOML that :func:`analysis.profile.load_profile` accepts."""
    out = [
        f"# medcoder candidate profile, drafted from {source} on {draft.today.isoformat()}",
        "# by `medcoder profile from-resume`. Review every line: these are guesses from",
        "# the resume's text. Then run `medcoder profile check` on this file.",
        "# A profile is personal: medcoder reads it to write your report and never",
        "# stores it (or the resume) in the postings database.",
        "",
        _line(f"name = {_toml(draft.name)}", "") if draft.name else _line('# name = "..."', "not found in the resume"),
        _line(f"location = {_toml(draft.location)}", "") if draft.location else _line('# location = "City, State"', "not found in the resume"),
        _line(f"countries = {_list(draft.countries)}", "from your location; add \"US\" or \"IN\" for other markets you would work for"
              if draft.countries else "empty: every country; or [\"US\"], [\"IN\"]"),
        _line('work_mode = ["remote", "hybrid", "onsite"]', "keep the ones you want"),
        _line(f"relocate = {'true' if draft.relocate else 'false'}",
              "the resume says you would relocate" if draft.relocate else "true if you would move for a job"),
        "",
        "# Credentials: active, apprentice (the \"-A\" form) or in_progress (studying for it).",
        "# The line numbers say where in the resume's text each was found.",
    ]
    if draft.credentials:
        out.append("credentials = [")
        for cid, status in draft.credentials.items():
            entry = _toml(cid) if status == "active" else f"{{ id = {_toml(cid)}, status = {_toml(status)} }}"
            out.append(_line(f"  {entry},", f"line {draft.credential_lines[cid]}"))
        out.append("]")
    else:
        out.append(_line("credentials = []", "none found; e.g. [\"CPC\"]"))
    out += ["", f"code_sets = {_list(draft.code_sets)}", f"tools = {_list(draft.tools)}", f"skills = {_list(draft.skills)}", "",
            "[experience]"]
    if draft.experience_from_summary:
        out.append(_line(f"years = {draft.experience_years:g}", "from your summary: no dated coding job was found"))
    else:
        out.append(_line(f"years = {draft.experience_years:g}", "coding jobs below, overlaps counted once"))
    if draft.experience_by_setting:
        pairs = ", ".join(f"{s} = {y:g}" for s, y in draft.experience_by_setting.items())
        out.append(_line(f"settings = {{ {pairs} }}", "per setting, from the job titles"))
    else:
        out.append(_line("# settings = { inpatient = 2 }", "per setting, when a posting asks for it"))
    if draft.jobs:
        out.append(f"# Jobs found (\"Present\" = {draft.today.isoformat()}; named months count inclusively,")
        out.append("# a bare end year ends before its January):")
        for job in draft.jobs:
            span = f"{_month(job.dates.start)} to {_month(job.dates.end - 1)}, {job.dates.months} months"
            what = (", ".join(job.settings) or "no setting named") if job.coding else "not counted: no coding in its title or bullets"
            out.append(f"#   line {job.line}: {_short(job.title) or 'a job'}: {job.dates.text} = {span}; {what}")
    out += ["", "[education]"]
    if draft.education_level:
        out.append(_line(f"level = {_toml(draft.education_level)}", "high_school, certificate, associate, bachelor, master"))
        out.append(f"field = {_toml(draft.education_field)}" if draft.education_field else '# field = "..."')
    else:
        out.append(_line('# level = "bachelor"', "not found: high_school, certificate, associate, bachelor, master"))
    currency, target = ("INR", 420000) if draft.countries == ["IN"] else ("USD", 52000)
    out += ["", "# [salary]", _line(f"# target = {target}", "annual, in the currency below"),
            _line(f'# currency = "{currency}"', "USD or INR"), ""]
    return "\n".join(out)


def draft_profile(path: str | Path, *, today: date | None = None, taxonomy: Taxonomy | None = None) -> str:
    """Read a resume file and return the profile TOML drafted from it (nothing is stored anywhere)."""
    path = Path(path)
    draft = parse_resume(read_resume(path), today=today, taxonomy=taxonomy)
    return draft_toml(draft, path.name)
