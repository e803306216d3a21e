"""The reference crawler of the end-to-end benchmark: a bare Scrapy spider that parses nothing.

    .venv/bin/python bench/bare_spider.py --base-url http://127.0.0.1:8000 [--settings '{"CONCURRENT_REQUESTS": 32}']

It follows the same links as the alhadath spider — home → category listings → listing pages (page n+1 of
the same category) → every article linked from them, one request per article id — and does nothing with
an article page but count it. No item, no pipeline, no extension of ours: what the framework alone costs.
The last stdout line is JSON: {"article_pages": …, "listing_pages": …, "responses": …}.
"""

from __future__ import annotations

import argparse
import json
import re
from urllib.parse import unquote, urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess

ARTICLE = re.compile(r"^/article/(\d+)(?:/|$)")
LISTING = re.compile(r"^/category/(\d+)(?:/[^/]*)?(?:/page/(\d+))?/?$")


def path_of(url: str) -> str:
    path = urlsplit(url).path
    for _ in range(3):  # links come raw, percent-encoded and double-encoded
        path = unquote(path)
    return path


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.allowed_domains = [urlsplit(self.base_url).hostname]
        self.requested: set[int] = set()
        self.counts = {"article_pages": 0, "listing_pages": 0, "responses": 0}

    async def start(self):
        yield scrapy.Request(self.base_url + "/", callback=self.parse_page, cb_kwargs={"category": None, "page": 0})

    def parse_page(self, response, category: int | None, page: int):
        self.counts["responses"] += 1
        self.counts["listing_pages"] += category is not None
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href.strip())
            if not url.startswith(self.base_url):
                continue
            path = path_of(url)
            if match := ARTICLE.match(path):
                article_id = int(match.group(1))
                if article_id not in self.requested:
                    self.requested.add(article_id)
                    yield scrapy.Request(url, callback=self.parse_article)
            elif match := LISTING.match(path):
                linked, number = int(match.group(1)), int(match.group(2) or 1)
                if (category is None and number == 1) or (linked == category and number == page + 1):
                    yield scrapy.Request(url, callback=self.parse_page, cb_kwargs={"category": linked, "page": number})

    def parse_article(self, response):
        self.counts["responses"] += 1
        self.counts["article_pages"] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--settings", default="{}", help="Scrapy settings as JSON (the benchmark passes ours)")
    args = parser.parse_args()
    settings = {"LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False,
                **json.loads(args.settings)}
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, base_url=args.base_url)
    process.start()
    print(json.dumps(crawler.spider.counts))


if __name__ == "__main__":
    main()
