"""The extractor of pages of sites we have no site file for: a record whenever a page holds a title and a body.

Each field's chain, cheap first, each stage a fallback for the one before:

- title:   ``<h1>`` when the metadata agrees, else og:title / JSON-LD headline / ``<title>`` without the
           outlet's affixes (``titles``);
- date:    ``jsonld``, ``meta``, ``time``, ``layout``, ``visible`` (printed near the title), ``url``, then
           ``htmldate`` (``dates``);
- body:    ``density``: the story's paragraph cluster by the page's own DOM shape and text density (``body``),
           then ``trafilatura`` only where that finds no story (about 2% of the real pages), both without
           the title, byline, caption and dateline lines and related-article boxes (``cleaning``);
- authors: ``jsonld``, ``meta``, a byline line (``layout``), CMS byline elements (``markup``) (``names``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from crawler.bylines import Byline
from crawler.dates import parse_date
from crawler.extract.body import MIN_STORY, story_blocks
from crawler.extract.cleaning import drop_related_boxes, unescape
from crawler.extract.dates import DateChain, htmldate_date, meta_date, url_date, visible_dates
from crawler.extract.fields import ARABIC, Extraction, PageFields
from crawler.extract.language import page_language
from crawler.extract.layout import Layout, read_layout
from crawler.extract.metadata import jsonld_by_id, ld_text
from crawler.extract.names import byline_names, ld_persons, markup_authors, person_names
from crawler.extract.titles import choose_title, host_label, without_outer_affix
from crawler.extract.walk import fold, fold_heads, folds_to, text_content
from crawler.items import ArticleRecord
from crawler.text import clean_text


class GenericFields(PageFields):
    """One page of an unknown site (``self.site`` is None)."""

    generic_authors: tuple[list[str], str, str] | None = None  # (authors, byline_raw, stage)
    # A page cut to its <head> and story block by its host's template (crawler.extract.extractor): asked before
    # a stage that reads the whole page ("htmldate", "markup", "trafilatura") whether the cut gives the same
    # answer; where it does not, ``needs_whole`` is set and the template parses the whole page instead.
    partial: Callable[[str], bool] | None = None
    needs_whole = False
    # A host whose pages have shown a title but no story for a while (``Templates.storyless``): trafilatura,
    # the one expensive fallback, is not run (``skipped`` says it was not); ``no_story`` tells the caller
    # that this page had a title and no story by the stages that ran.
    storyless = False
    skipped = False
    no_story = False
    # Readings that depend on the tree alone (the story's blocks, the byline elements), kept for the other builds
    # of one page (``crawler.extract.extractor``: one dict a page) by the tree they read: a template's check reads
    # the whole tree twice — its block (the walk of that region) and the whole page — and both ask them of the
    # whole tree (~1.2% of a table page's instructions under an unknown host). None: nothing kept.
    shared: dict | None = None

    def _of_tree(self, name: str, read: Callable[[], object]):
        """``read()``, once per page's tree and ``name`` where builds share their readings (``shared``)."""
        if self.shared is None:
            return read()
        key = (name, self.root)
        if key not in self.shared:
            self.shared[key] = read()
        return self.shared[key]

    def _whole(self, stage: str) -> bool:
        """Whether ``stage`` may read this tree (always, unless it is a cut page the stage needs whole)."""
        if self.partial is None or self.partial(stage):
            return True
        self.needs_whole = True
        return False

    def _own_names(self) -> tuple[str, ...]:
        return tuple(filter(None, [clean_text(self.page.meta.get("og:site_name"))]))

    def build(self) -> Extraction | None:
        page, ld = self.page, self.ld
        if self._not_found():
            return None
        names = self._outlet_names()
        h1 = next((text for text in (text_content(el) for el in self.root.iter("h1")) if text), "") \
            or next((line.text for line in page.lines if line.heading and line.text and not line.chrome), "")
        stage, title = choose_title(h1, ld_text(ld.get("headline")),
                                    page.meta.get("og:title") or page.meta.get("twitter:title") or "",
                                    page.title_tag, names)
        if not title:
            return None
        self.sources["title"] = stage
        hints = [t for t in (title, h1, page.title_tag) if t]
        layout = read_layout(page, None, hints, title, self.own_names)
        if layout.title_index < 0 and stage != "layout":
            # A <title> whose site-name affix we could not tell ("الحدث - رفض التقرير …" on a host named
            # otherwise, no og:site_name) matches no line of the page, so the date printed under the headline
            # ("2014-11-01 12:19:26 AM") went unread and htmldate gave the next day: the headline is the line
            # that the title less its affix names. The affix is then the outlet's name: the byline
            # "الحدث - أ ف ب" names the outlet and an agency, not a town "الحدث".
            for bare, affix in without_outer_affix(title):
                own_names = (*self.own_names, affix)
                found = read_layout(page, None, [bare, *hints], bare, own_names)
                line = page.lines[found.title_index] if found.title_index >= 0 else None
                if line is not None and line.linked < 0.5:  # no sidebar link to a story
                    layout, title, self.own_names = found, found.title, own_names
                    names = self._outlet_names()
                    hints = [bare, *hints]
                    break
        if layout.title_index < 0 and h1 and h1 != title:
            layout = read_layout(page, None, hints, h1, self.own_names)
        # Our own reading first (≥ trafilatura's accuracy on the real-pages set at a third of its cost,
        # bench/results.md "body"); where the visible page holds no story, the metadata's (JSON-LD
        # articleBody), then trafilatura (content in <noscript>, a <form> or <aside> around the whole
        # article). The body before the date: a page with no story is no article, and its date would cost
        # htmldate a read of the whole page (a page whose story is only in a script's JSON state: 38 ms).
        paragraphs = self.pick("paragraphs", ("density", lambda: self._density_body(title, layout)),
                               ("jsonld", lambda: self._metadata_body(title, layout)),
                               ("trafilatura", lambda: self._trafilatura_body(title, layout)))
        if not paragraphs:
            self.no_story = not self.needs_whole
            return None
        published = self._published(layout)
        self.sources["paragraphs"] = self.sources.pop("paragraphs")  # the trace lists the date first, as it did
        self.generic_authors = self._authors(layout, names)
        return Extraction(self._record(title, published, layout, paragraphs), self.sources)

    _outlets: tuple[tuple[str, ...], list[str]] | None = None  # (own_names, _outlet_names' answer for them)

    def _outlet_names(self) -> list[str]:
        """The outlet's own names: og:site_name, JSON-LD publisher, application-name, the domain's label.
        (Asked up to three times a page, with ``own_names`` the only part that changes: kept for the last.)"""
        if self._outlets is not None and self._outlets[0] == self.own_names:
            return list(self._outlets[1])
        meta = self.page.meta
        publisher = self.ld.get("publisher")
        names = [clean_text(unescape(n)) for n in (*self.own_names, ld_text(publisher) if publisher else "",
                                                   meta.get("application-name") or "", meta.get("og:site_name") or "",
                                                   host_label(self.url)) if n and clean_text(n)]
        self._outlets = (self.own_names, names)
        return list(names)

    def _published(self, layout: Layout):
        chain = DateChain(self.timezone, self.now, self.earliest_year)
        meta = self.page.meta
        from_url = url_date(self.url)
        stages = [("jsonld", self.ld.get("datePublished")), ("meta", meta_date(meta)),
                  ("time", self._main_time(layout)), ("layout", layout.published_raw),
                  *(("visible", text) for text in visible_dates(self.page.lines, layout.title_index,
                                                                layout.body_start)),
                  ("url", from_url), ("jsonld", self.ld.get("dateCreated")),
                  ("time", self.page.times[0][0] if len(self.page.times) == 1 else ""),
                  ("htmldate", lambda: htmldate_date(self._markup(), self.url, self.now)
                   if self._whole("htmldate") else "")]
        found = chain.first_date(stages) or chain.relative
        if found is None or found[0] not in ("jsonld", "meta", "time"):
            return self.chain.record("published_at", found)
        days = (found[1].value.date() - date.fromisoformat(from_url)).days if from_url else 0
        if abs(days) > 1:
            # The URL is fixed when a story is first published; metadata often carries a later republication
            # (befifty.de/…/2017/7/12/… with a JSON-LD datePublished of 2019): the URL's day is the original.
            return self.chain.record("published_at", chain.first_date([("url", from_url)]) or found)
        if found[1].value.utcoffset() == timedelta(0):
            # A time given in UTC may fall on the next or previous day of the publisher's own calendar
            # (twincities.com/2023/11/08/… with datePublished 2023-11-09T05:30:59Z): the day the URL or the
            # page's printed date names is the local one.
            local = [("url", from_url)] if abs(days) == 1 else []
            if not local and not from_url:
                local = [("visible", text) for text in visible_dates(self.page.lines, layout.title_index,
                                                                     layout.body_start)]
            other = DateChain(self.timezone, self.now, self.earliest_year).first_date(local)
            if other is not None and abs((found[1].value.date() - other[1].value.date()).days) == 1:
                return self.chain.record("published_at", other)
        return self.chain.record("published_at", found)

    def _authors(self, layout: Layout, names: list[str]) -> tuple[list[str], str, str]:
        own = {fold(name).casefold() for name in names}
        meta = self.page.meta
        ld_names, _ = ld_persons(self.ld.get("author"), lambda: jsonld_by_id(self.page.jsonld))
        meta_names = [meta.get(key, "") for key in ("author", "article:author", "parsely-author", "dc.creator",
                                                     "sailthru.author", "byl")]
        stages = [("jsonld", ld_names), ("meta", [m for m in meta_names if m and "://" not in m]),
                  ("layout", lambda: byline_names(self.page.lines, layout.title_index, layout.body_start)),
                  ("markup", lambda: self._of_tree("markup", lambda: markup_authors(self.root))
                   if self._whole("markup") else [])]
        def read(raw: list[str]) -> tuple[list[str], list[str]] | None:
            authors = person_names(raw, own) if raw else []
            return (authors, raw) if authors else None

        found = self.chain.find(stages, read)
        if found is None:
            return [], "", ""
        stage, (authors, raw) = found
        return authors, "، ".join(raw) if stage == "jsonld" else clean_text(raw[0]), stage

    # -- readings that differ from a known site's --------------------------------------------

    def _record(self, title: str, published, layout: Layout, paragraphs: list[str]) -> ArticleRecord:
        if self.generic_authors and self.generic_authors[0]:
            authors, byline_raw, stage = self.generic_authors
            self.sources["byline_raw"] = self.sources["authors"] = stage
            return self._record_with(title, published, layout, paragraphs, byline_raw, authors,
                                     self._byline(byline_raw))
        return super()._record(title, published, layout, paragraphs)

    def _byline(self, byline_raw: str) -> Byline:
        """The byline grammar is Arabic news's (outlet - city - writer): an unknown site's byline in another
        script has no dateline or agency to read ("Anne-Marie Haddad" names no town "Anne")."""
        if not ARABIC.search(byline_raw):
            return Byline()
        return super()._byline(byline_raw)

    def _byline_authors(self, byline_raw: str, authors: list[str]) -> list[str]:
        # The byline grammar is Arabic news's ("الحدث - رام الله - name"); on other scripts its dashes
        # and words are no guide ("Audio: Antenne Brandenburg | Eva Kirchner-Rätsch" is no list of people).
        return person_names(authors, {fold(n).casefold() for n in self._outlet_names()}) \
            if ARABIC.search(byline_raw) else []

    def _title_writer(self, writer: str | None) -> str | None:
        # "… - name" ends opinion titles on Arabic sites; elsewhere "Vanlife in Schweden - Skandinavien im
        # Wohnmobil" is a subtitle, so an unknown site's writer must be written in Arabic script.
        return writer if writer and ARABIC.search(writer) else None

    def _language(self, title: str) -> str:
        return page_language(self.root, title)

    # -- the body ---------------------------------------------------------------------------

    def _density_body(self, title: str, layout: Layout) -> list[str]:
        """Body paragraphs by the page's own DOM shape and text density (``crawler.extract.body``)."""
        # (The blocks the walk read, ``page.blocks``, are those ``story_blocks`` reads itself when not given them:
        # the story is the tree's either way.)
        story = self._of_tree("story", lambda: story_blocks(self.root, self.page.blocks))
        return self._clean_body([block.text for block in story], title, layout)

    def _metadata_body(self, title: str, layout: Layout) -> list[str]:
        """JSON-LD ``articleBody`` (its lines), where it holds a story (``body.MIN_STORY`` characters)."""
        text = self.ld.get("articleBody")
        if not isinstance(text, str) or not text:  # (a string: its line breaks are the paragraphs')
            return []
        return _a_story(self._clean_body(unescape(text).splitlines(), title, layout))

    def _trafilatura_body(self, title: str, layout: Layout) -> list[str]:
        """Body paragraphs by trafilatura: the last resort, where the density reading finds no story."""
        import trafilatura  # only pages our own reading finds no story in pay for it

        if self.storyless:
            self.skipped = True
            return []
        if not self._whole("trafilatura"):
            return []
        try:
            result = trafilatura.bare_extraction(self._markup(),
                                                 include_comments=False, include_tables=True,
                                                 with_metadata=False)
        except Exception:  # trafilatura on hostile markup: no body rather than a crash
            return []
        body = getattr(result, "text", None) if result is not None else None
        if isinstance(result, dict):
            body = result.get("text")
        # A line or two is no story: "يرجى تفعيل جافاسكربت" (enable JavaScript) in the <noscript> of a page
        # whose story only a script writes.
        return _a_story(self._clean_body((body or "").split("\n"), title, layout))

    def _clean_body(self, texts: list[str], title: str, layout: Layout) -> list[str]:
        """The body's lines without the title, byline, caption and dateline lines and related-article boxes."""
        if not texts:  # (no story: nothing to clean)
            return []
        skip = {fold(title), fold(layout.byline), fold(layout.caption), fold(layout.published_raw)} - {""}
        heads = fold_heads(skip)
        lines = [text for text in map(clean_text, texts) if text and not folds_to(text, skip, heads)]
        lines = drop_related_boxes(lines) or lines
        # A date line opening the body ("12 آذار 2019" printed under the title) is the dateline, not text.
        while lines and len(lines[0]) <= 40 and any(ch.isdigit() for ch in lines[0]) \
                and parse_date(lines[0], tz=self.timezone) is not None and len(lines) > 1:
            lines.pop(0)
        return lines


def _a_story(lines: list[str]) -> list[str]:
    """``lines`` when they hold a story's worth of text (as the density reading asks of one), else []."""
    return lines if sum(map(len, lines)) >= MIN_STORY else []
