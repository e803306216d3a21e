"""One page's bytes → the article record (crawler.items.ArticleRecord), or None when it holds no article.

The page is decoded once, parsed once with lxml and walked once into text *lines* (the page as it reads
top to bottom, with a few DOM facts per line: inside a link, in page chrome, an image, a figcaption).
Each field is then read by an ordered chain; the first stage that yields a value wins and is named in
``Extraction.sources``:

- ``selector``    the site's own CSS selectors (``Site.selectors``: small data, a miss falls through);
- ``jsonld``      schema.org NewsArticle (also inside ``@graph``);
- ``meta``        OpenGraph, ``article:published_time``, ``<link rel=canonical>``;
- ``time``        the ``<time datetime>`` of the main block (never a sidebar's);
- ``layout``      the text layout of the site notes: title, ``2016-02-19 11:15:08 PM``, [repeated title,
                  caption], byline, paragraphs — anchored on the main block's timestamp;
- ``density``     the body of pages of unknown sites: the story's paragraph cluster by DOM shape and text
                  density (``body``); ``trafilatura`` only where that finds no story.

Pages of unknown sites add (``generic``): ``title`` (the <title> tag), ``visible`` (a date printed near the
title), ``url`` (a date in the URL), ``htmldate`` (the last resort for dates) and ``markup`` (microdata and
CMS byline elements for authors).

No Scrapy and no I/O here: the spider, the CLI and the tests all call ``extract_article``.

The package, in the order a page goes through it:

- ``decode``     bytes → text (HTTP charset, BOM, <meta>, detection) → lxml tree;
- ``walk``       the tree → text lines and the metadata met on the way (``Page``);
- ``metadata``   schema.org JSON-LD read as text;
- ``layout``     title, timestamp, byline and paragraphs from the text layout;
- ``selectors``  the site's own CSS selectors;
- ``stage``      ``Chain``: one field's ordered stages, recording which one gave the value;
- ``fields``     what both extractors read alike (the record, identity, images, dates);
- ``known``      the extractor of a known site's pages; ``generic`` the extractor of any other page, with its
                 readings of ``dates``, ``titles``, ``names`` (authors), ``cleaning`` and ``language``;
- ``template``   a site's learned story block (``cut``: parse only its bytes);
- ``extractor``  ``Extractor`` (owns the learned templates: the spider or reparse holds one per run) and the
                 one-call API ``extract_article`` / ``extract_with_trace`` (the module's default Extractor
                 unless ``extractor=`` is given).
"""

from crawler.extract.extractor import Extractor, extract_article, extract_with_trace
from crawler.extract.fields import Extraction
from crawler.extract.decode import decode
from crawler.extract.layout import Layout, read_layout
from crawler.extract.metadata import jsonld_article
from crawler.extract.walk import Line, Page, walk

__all__ = ["Extraction", "Extractor", "Layout", "Line", "Page", "decode", "extract_article", "extract_with_trace",
           "jsonld_article", "read_layout", "walk"]
