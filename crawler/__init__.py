"""Arshif (أرشيف): a clean, deduplicated SQLite archive of an Arabic news site.

The Python API, under one import name (loaded on first use: ``import crawler`` loads no Scrapy)::

    from crawler import open_archive, ArticleQuery, export_archive
    with open_archive("arshif.db") as reader:                       # read-only, never migrates
        for article in reader.articles(ArticleQuery(site="alhadath", since="2016-01-01")):
            print(article["article_id"], article["title"])
        hits = reader.search('"رام الله"', limit=5)
        history = reader.article_versions("alhadath", 5)
    export_archive("arshif.db", "parquet", "out/articles.parquet")  # + datapackage.json and the card
    validate_package("out/datapackage.json")                        # frictionless, every row of every file
"""

__version__ = "0.1.0"

# name → module that defines it (imported lazily by ``__getattr__``)
_API = {
    "Archive": "crawler.storage",
    "ArchiveReader": "crawler.storage",
    "ArchiveOutdated": "crawler.storage",
    "ArticleQuery": "crawler.storage",
    "open_archive": "crawler.storage",
    "export_archive": "crawler.export",
    "ExportResult": "crawler.export",
    "search": "crawler.search",
    "validate_package": "crawler.datacard",
}
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'crawler' has no attribute {name!r}")
