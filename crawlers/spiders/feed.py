"""RSS 2.0 (and 1.0) and Atom job feeds: one request per feed page, one posting per item or entry.

Feeds are read with Scrapy's selectors over a strictly parsed XML tree: a
truncated or malformed feed is reported (``invalid_feed``) rather than
half-read, and bytes in an encoding other than the declared one are decoded
by what they are, not by what the feed claims.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from html.entities import name2codepoint
from urllib.parse import urljoin, urlsplit

from lxml import etree
from scrapy.http import Response
from scrapy.selector import Selector

from crawlers.items import PostingItem
from crawlers.redact import without_emails
from crawlers.spiders.base import ApiSpider

ATOM = "http://www.w3.org/2005/Atom"
NAMESPACES = {"atom": ATOM, "content": "http://purl.org/rss/1.0/modules/content/", "dc": "http://purl.org/dc/elements/1.1/"}
DEFAULT_MAX_PAGES = 20
# Strict, and safe against entity expansion and external fetches (XXE).
XML_PARSER = etree.XMLParser(recover=False, resolve_entities=False, no_network=True, remove_comments=True,
                             remove_pis=True, huge_tree=False)
XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
DECLARED_ENCODING_RE = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
NAMED_ENTITY_RE = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}

# Child elements job feeds use for posting fields, by local name (lower case, no
# "_" or "-"), whatever their namespace: <job:company>, <company>, <job_listing:company>.
EMPLOYER_TAGS = ("company", "companyname", "employer", "hiringorganization", "organization")
LOCATION_TAGS = ("location", "joblocation", "locations", "city")
COUNTRY_TAGS = ("country",)
TYPE_TAGS = ("jobtype", "employmenttype", "type")
SALARY_TAGS = ("salary", "compensation", "pay")
EXPIRY_TAGS = ("expires", "expiration", "expirationdate", "expirydate", "closingdate", "validthrough")


class FeedSpider(ApiSpider):
    """``scrapy crawl feed -a url=FEED_URL [-a max_pages=N]``.

    ``-a api_base=URL`` fetches the feed (and its next pages) from a mirror or
    test server instead of the feed's own host; the source id still names the
    feed's host (``feed:jobs.example.org``). Atom and RSS ``<atom:link
    rel="next">`` paging is followed up to ``max_pages``.
    """

    name = "feed"
    source_name = "Job feed (RSS/Atom)"

    def __init__(self, url: str | None = None, max_pages: str | int = DEFAULT_MAX_PAGES, **kwargs):
        super().__init__(**kwargs)
        if not url:
            raise ValueError("feed needs -a url=FEED_URL (an RSS or Atom feed)")
        self.url = url
        self.host = (urlsplit(url).hostname or "").lower()
        if not self.host:
            raise ValueError(f"feed: not an absolute http(s) URL: {url!r}")
        self.max_pages = int(max_pages)
        self.pages = 0

    def default_source_id(self) -> str:
        return f"feed:{self.host}"

    def fetch_url(self, url: str) -> str:
        """``url`` on ``api_base`` when one is given and the URL is on the feed's own host."""
        parts = urlsplit(url)
        if not self.api_base or (parts.hostname or "").lower() != self.host:
            return url
        return self.api_base + parts.path + (f"?{parts.query}" if parts.query else "")

    async def start(self):
        yield self.api_request(self.fetch_url(self.url), self.parse_feed, board=True)

    def parse_feed(self, response: Response) -> Iterator:
        if self.board_gone(response):
            return
        self.pages += 1
        feed = self.feed_selector(response)
        if feed is None:
            return
        root = feed.root
        kind = etree.QName(root).localname
        if kind in ("rss", "RDF"):
            entries, item_from = feed.xpath("//*[local-name()='item']"), self.item_from_rss
            next_page = feed.xpath("/rss/channel/atom:link[@rel='next']/@href").get()
        elif kind == "feed" and etree.QName(root).namespace == ATOM:
            entries, item_from = feed.xpath("/atom:feed/atom:entry"), self.item_from_atom
            next_page = feed.xpath("/atom:feed/atom:link[@rel='next']/@href").get()
        else:
            self.report_problem(response.url, "invalid_feed", f"root element <{kind}> is neither RSS nor Atom")
            return
        for n, entry in enumerate(entries, start=1):
            item = item_from(entry)
            if item is None:
                title = first_text(children(entry), "title")
                self.report_problem(response.url, "incomplete_item", f"feed entry {n} has no title or no link (title: {title!r})")
                continue
            yield item
        if next_page:
            if self.pages < self.max_pages:
                yield self.api_request(self.fetch_url(response.urljoin(next_page.strip())), self.parse_feed)
            else:
                self.crawler.stats.inc_value("medcoder/max_pages_reached")

    def feed_selector(self, response: Response) -> Selector | None:
        """A selector over the strictly parsed feed, or None after reporting it as invalid."""
        header = response.headers.get(b"Content-Type", b"").decode("latin-1")
        charset = re.search(r"charset=[\"']?([\w.-]+)", header, re.IGNORECASE)
        text, encoding = decode_xml(response.body, charset.group(1) if charset else None)
        if encoding != "utf-8":
            self.logger.info("feed %s decoded as %s", response.url, encoding)
            self.crawler.stats.set_value("medcoder/feed_encoding", encoding)
        try:
            root = etree.fromstring(xml_ready(text), XML_PARSER)
        except (etree.XMLSyntaxError, ValueError) as exc:
            self.report_problem(response.url, "invalid_feed", f"not well-formed XML ({str(exc)[:200]})")
            return None
        return Selector(root=root, type="xml", namespaces=NAMESPACES)

    # --- one entry ------------------------------------------------------

    def item_from_rss(self, entry: Selector) -> PostingItem | None:
        """One RSS ``<item>``: title, link (else a permalink guid), guid, pubDate, content:encoded or description."""
        fields = children(entry)
        guid = first_text(fields, "guid")
        link = first_text(fields, "link") or entry.xpath("atom:link[not(@rel) or @rel='alternate']/@href").get()
        if not link and guid and guid.startswith(("http://", "https://")):
            link = guid
        author = first_text(fields, "author", "creator")
        published = first_text(fields, "pubdate")
        return self.item(
            fields,
            title=first_text(fields, "title"),
            link=link,
            job_id=guid,
            posted=rfc822_to_iso(published) or first_text(fields, "date", "published", "updated") or published,
            html=first_text(fields, "encoded", "description"),
            author=without_emails(author, "").strip(" ()<>") or None,  # RSS <author> is an e-mail address: keep the name only
            categories=[c for c in (s.xpath("string()").get().strip() for s in fields.get("category", [])) if c],
        )

    def item_from_atom(self, entry: Selector) -> PostingItem | None:
        """One Atom ``<entry>``: title, alternate link, id, published/updated, content or summary, author name."""
        fields = children(entry)
        link = (entry.xpath("atom:link[@rel='alternate']/@href").get()
                or entry.xpath("atom:link[not(@rel)]/@href").get()
                or entry.xpath("atom:link/@href").get())
        body = entry.xpath("atom:content") or entry.xpath("atom:summary")
        return self.item(
            fields,
            title=first_text(fields, "title"),
            link=link.strip() if link else None,
            job_id=first_text(fields, "id"),
            posted=first_text(fields, "published", "updated"),
            html=atom_text(body[0]) if body else None,
            author=entry.xpath("normalize-space(atom:author/atom:name)").get() or None,
            categories=[c.strip() for c in entry.xpath("atom:category/@term").getall() if c.strip()],
        )

    def item(self, fields: dict[str, list[Selector]], *, title, link, job_id, posted, html, author,
             categories) -> PostingItem | None:
        """The posting shared by both formats, with the job extensions (<job:company>, <location>...)."""
        if not title or not link:
            return None
        extras = {}
        if categories:
            extras["categories"] = categories
        if author:
            extras["author"] = author
        remote = first_text(fields, "remote")
        return PostingItem(
            source=self.source_id,
            url=urljoin(self.url, link),  # the feed's own address, not the api_base mirror
            title=title,
            source_job_id=job_id,
            employer=first_text(fields, *EMPLOYER_TAGS),
            location_text=first_text(fields, *LOCATION_TAGS),
            country=first_text(fields, *COUNTRY_TAGS),
            remote="remote" if remote and remote.strip().lower() in ("true", "yes", "1", "remote") else None,
            employment_type=first_text(fields, *TYPE_TAGS),
            salary_text=first_text(fields, *SALARY_TAGS),
            posted_at=posted,
            valid_through=first_text(fields, *EXPIRY_TAGS),
            description_html=html,
            attribution=self.attribution,
            extras=extras,
        )


def decode_xml(body: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """The feed's text and the encoding that decoded it.

    A byte-order mark decides; otherwise bytes that are valid UTF-8 are UTF-8
    (whatever the declaration says: Latin-1 text with accents almost never
    is), then the HTTP charset, the XML declaration, Windows-1252 and
    Latin-1 are tried in turn, so a feed that declares UTF-8 but was written
    in ISO-8859-1 still reads "José" instead of a replacement character.
    """
    if body.startswith(codecs.BOM_UTF8):
        return body.decode("utf-8-sig", errors="replace"), "utf-8"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", errors="replace"), "utf-16"
    declared = DECLARED_ENCODING_RE.match(body)
    candidates = ["utf-8", header_charset, declared.group(1).decode("ascii") if declared else None, "cp1252", "latin-1"]
    for name in candidates:
        try:
            encoding = codecs.lookup(name).name if name else None
        except LookupError:
            continue
        if encoding is None or encoding.startswith(("utf-16", "utf-32")):
            continue  # without a BOM these are a wrong label, not the encoding
        try:
            return body.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return body.decode("latin-1"), "latin-1"  # unreachable: latin-1 decodes any bytes


def xml_ready(text: str) -> str:
    """Decoded feed text the XML parser accepts: no encoding declaration, HTML named entities as numbers.

    Many feeds use ``&nbsp;`` or ``&eacute;`` outside CDATA, which XML does not
    define; written as numeric references they mean the same and parse.
    """
    text = XML_DECLARATION_RE.sub("", text, count=1)

    def numeric(m: re.Match) -> str:
        name = m.group(1)
        if name in XML_ENTITIES or name not in name2codepoint:
            return m.group(0)
        return f"&#{name2codepoint[name]};"

    return NAMED_ENTITY_RE.sub(numeric, text)


def children(entry: Selector) -> dict[str, list[Selector]]:
    """An entry's child elements by local name, lower case without ``_`` or ``-`` (namespaces ignored)."""
    out: dict[str, list[Selector]] = {}
    for child in entry.xpath("*"):
        key = etree.QName(child.root).localname.lower().replace("_", "").replace("-", "")
        out.setdefault(key, []).append(child)
    return out


def first_text(fields: dict[str, list[Selector]], *names: str) -> str | None:
    """The first non-empty text among the children called ``names``."""
    for name in names:
        for node in fields.get(name, []):
            text = node.xpath("string()").get().strip()
            if text:
                return text
    return None


def atom_text(node: Selector) -> str | None:
    """An Atom text construct as markup: ``type="xhtml"`` serialised, ``html`` and ``text`` as their text."""
    if node.attrib.get("type") == "xhtml":
        return "".join(etree.tostring(child, encoding="unicode") for child in node.root) or None
    return node.xpath("string()").get().strip() or None


def rfc822_to_iso(value: str | None) -> str | None:
    """An RFC 822 date ("Tue, 17 Nov 2026 09:00:00 GMT") as ISO 8601; None when it is not one.

    The dates module reads ISO and numeric offsets, not zone names (GMT, EST),
    so RSS dates are converted here, where the format is known.
    """
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return None
