"""The extractor of a known site's pages: the site's selectors and the text layout its notes describe.

Each field's chain, first stage first: ``selector`` (the site's CSS, small data a miss falls through),
``jsonld``, ``meta``, ``time`` (the main block's ``<time>``), ``layout`` (title, timestamp, byline and
paragraphs read from the text layout, anchored on the main block's timestamp). A known site prints a
timestamp on every article: a page without one (and without article metadata) is no article.
"""

from __future__ import annotations

from crawler.extract.fields import Extraction, PageFields, first
from crawler.extract.layout import Layout, read_layout
from crawler.extract.metadata import ld_text
from crawler.extract.walk import fold, text_content
from crawler.text import clean_text


class KnownSiteFields(PageFields):
    """One page of a site with a site file (``self.site`` is never None here)."""

    def build(self) -> Extraction | None:
        page, ld = self.page, self.ld
        if self._not_found():
            return None
        # A logo heading (<h1><a>الحدث</a></h1>) is no title.
        selected_title = first([t for t in self.select("title") if t not in self.own_names])
        meta_title = self._meta_title()
        hints = [t for t in (selected_title, ld_text(ld.get("headline")), meta_title, page.title_tag) if t]
        hints += [line.text for line in page.lines if line.heading and line.text][:3]
        anchor_title = selected_title or ld_text(ld.get("headline")) or meta_title or self._first_heading()
        layout = read_layout(page, self.site, hints, anchor_title, self.own_names)

        title = self.pick("title", ("selector", selected_title), ("jsonld", ld_text(ld.get("headline"))),
                          ("meta", meta_title), ("layout", layout.title))
        if not title:
            return None
        if layout.title and layout.title != title and len(layout.title) > len(title) \
                and fold(layout.title).startswith(fold(title.rstrip(".…"))):
            title = layout.title  # metadata cut the title short ("… " at 110 characters); the page prints it whole
            self.sources["title"] = "layout"
        published = self._published(layout)
        if published is None and not self._declares_article():
            return None  # the site prints a timestamp on every article; without one this is no article
        paragraphs = self.pick("paragraphs", ("selector", self.select("paragraphs")),
                               ("layout", layout.paragraphs))
        if not paragraphs:
            return None
        return Extraction(self._record(title, published, layout, paragraphs), self.sources)

    def _published(self, layout: Layout):
        return self._date("published_at",
                          ("selector", first(self.select("published"))),
                          ("jsonld", self.ld.get("datePublished")),
                          ("meta", self.page.meta.get("article:published_time")),
                          ("time", self._main_time(layout)),
                          ("layout", layout.published_raw))

    def _meta_title(self) -> str:
        """og:title without the outlet's name the title tag convention appends (``… | الحدث``)."""
        title = clean_text(self.page.meta.get("og:title") or self.page.meta.get("twitter:title"))
        for name in (*self.own_names, clean_text(self.page.meta.get("og:site_name"))):
            if name:
                for sep in (" | ", " - ", " – "):
                    title = title.removesuffix(sep + name).removeprefix(name + sep)
        return title

    def _first_heading(self) -> str:
        return next((line.text for line in self.page.lines if line.heading and line.text), "")

    def _category(self, layout: Layout) -> str:
        found = self._metadata_category()
        if found or layout.title_index < 0:
            return found or ""
        # The breadcrumb: the section link nearest above the title, alone on its line and not part of a
        # menu (a line of several section links, or a run of three or more lines of them).
        links = list(self._link_elements(self.site.listing_path, 0, max(layout.body_end, layout.title_index) + 1,
                                         decode=False))
        per_line: dict[int, int] = {}
        for index, _, _ in links:
            per_line[index] = per_line.get(index, 0) + 1
        lone = [(index, el) for index, el, _ in links if per_line[index] == 1 and not in_menu(index, per_line)]
        # The nearest lone link with text above the title, else the first below: only the texts on the way are
        # read (a page's related-stories cards each hold a section link).
        above = (el for index, el in reversed(lone) if index <= layout.title_index)
        below = (el for index, el in lone if index > layout.title_index)
        choice = next((text for text in map(text_content, above) if text), "") \
            or next((text for text in map(text_content, below) if text), "")
        return self.pick("category", ("layout", choice)) or ""

    def _tags(self, layout: Layout) -> list[str]:
        found = self._metadata_tags()
        if found or layout.body_start < 0:
            return list(dict.fromkeys(found or []))
        # The first run of tag links after the body (a tag cloud elsewhere on the page is not the article's).
        run: list[str] = []
        last = None
        for index, text, path in self._links(self.site.tag_path, layout.body_start, 10**9):
            if last is not None and index - last > 3:
                break
            name = text or clean_text(path.rstrip("/").rsplit("/", 1)[-1].replace("_", " "))
            run.append(name)
            last = index
        return list(dict.fromkeys(self.pick("tags", ("layout", run)) or []))


def in_menu(index: int, lines: dict[int, int] | set[int]) -> bool:
    """Whether line ``index`` is one of three lines in a row that each hold a section link (``lines``: the lines
    that hold one): lines 4, 5, 6 → each of them is. (Such a run puts three of lines index−2…index+2 in
    ``lines``, so no count of those is asked apart.)"""
    return any(k in lines and k + 1 in lines and k + 2 in lines for k in range(index - 2, index + 1))
