"""Arshif's Datasette plugin: the pages `arshif serve` adds beside Datasette's own table views.

    /                          home: totals, coverage charts, last runs
    /search?q=…&category=…     search with Arabic folding, snippets and facets (category, year, agency, author)
    /article/<site>/<id>       one article, right to left, with aliases, near duplicates and word diffs
    /runs                      crawl_runs with status, counts and alarm reasons

Every page is also JSON: add ``.json`` to the path (``/search.json?q=…``, ``/article/alhadath/5.json``,
``/runs.json``, ``/.json``) or ``?_format=json``. Datasette's own views stay where they are
(``/<database>/<table>``, ``.json`` too).
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from urllib.parse import urlencode
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response

from crawler.serve import pages
from crawler.storage import ArchiveReader, ArticleQuery
from crawler.storage.connection import register_functions


def _wants_json(request) -> bool:
    return bool(request.url_vars.get("format")) or request.args.get("_format") == "json"


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, default=str), status=status,
                    content_type="application/json; charset=utf-8")


def _page_number(request) -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


async def _render(datasette, request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    db = datasette.get_database()
    query = request.query_string
    json_url = request.path + ("?" + query + "&" if query else "?") + "_format=json"
    context = {"database_name": db.name, "json_url": json_url, "link": _linker(request), **context}
    html = await datasette.render_template([template], context, request=request)
    return Response.html(html, status=status)


def _linker(request):
    """``link(name=value, ...)``: this page's URL with those arguments changed (None removes one);
    a changed filter goes back to page 1."""

    def link(**changes: Any) -> str:
        args = {key: request.args[key] for key in request.args if key != "_format"}
        if "page" not in changes:
            args.pop("page", None)
        for key, value in changes.items():
            if value is None:
                args.pop(key, None)
            else:
                args[key] = str(value)
        return request.path + ("?" + urlencode(args) if args else "")

    return link


async def _not_found(datasette, request, message: str) -> Response:
    if _wants_json(request):
        return _json({"ok": False, "error": message}, status=404)
    return await _render(datasette, request, "arshif_error.html", {"message": message}, status=404)


async def home_view(datasette, request):
    data = await datasette.get_database().execute_fn(pages.home)
    if _wants_json(request):
        return _json(data)
    return await _render(datasette, request, "arshif_home.html", {**data, **pages.home_charts(data)})


async def search_view(datasette, request):
    text = request.args.get("q", "").strip()
    filters = ArticleQuery(**{name: request.args.get(name) or None for name in pages.FACET_NAMES})
    page = _page_number(request)
    data = await datasette.get_database().execute_fn(lambda conn: pages.search(conn, text, filters, page=page))
    if _wants_json(request):
        return _json(data)
    return await _render(datasette, request, "arshif_search.html", data)


async def article_view(datasette, request):
    site, article_id = request.url_vars["site"], int(request.url_vars["article_id"])
    db = datasette.get_database()
    data = await db.execute_fn(lambda conn: pages.article(conn, site, article_id))
    if data is None:
        target = await db.execute_fn(lambda conn: ArchiveReader.over(conn).alias_target(site, article_id))
        if target is not None:
            suffix = ".json" if request.url_vars.get("format") else ""
            query = f"?{request.query_string}" if request.query_string else ""
            return Response.redirect(datasette.urls.path(f"/article/{site}/{target}{suffix}{query}"))
        return await _not_found(datasette, request, f"no article {site}/{article_id} in this archive")
    if _wants_json(request):
        return _json(data)
    return await _render(datasette, request, "arshif_article.html", data)


async def runs_view(datasette, request):
    page = _page_number(request)
    data = await datasette.get_database().execute_fn(lambda conn: pages.runs(conn, page=page))
    if _wants_json(request):
        return _json(data)
    return await _render(datasette, request, "arshif_runs.html", data)


_SLASHES = re.compile(r"/{2,}")


def _joined_slashes(app):
    """ASGI wrapper: a path with repeated slashes is redirected (301) to the path with single ones, so
    ``$URL/.json`` with a URL that ends in ``/`` (``//.json``) reaches the home page's JSON, and
    ``//search.json?q=x`` the search, instead of matching no route."""

    async def wrapped(scope, receive, send):
        if scope.get("type") == "http":
            raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8")
            path = raw.partition(b"?")[0].decode("latin-1")
            if "//" in path:
                target = _SLASHES.sub("/", path)
                query = scope.get("query_string") or b""
                location = target.encode("latin-1") + (b"?" + query if query else b"")
                await send({"type": "http.response.start", "status": 301,
                            "headers": [(b"location", location), (b"content-type", b"text/plain; charset=utf-8")]})
                await send({"type": "http.response.body", "body": b"moved to " + location})
                return
        await app(scope, receive, send)

    return wrapped


class _RichInsideExcept:
    """Datasette 0.65 prints each error with rich's ``print_exception``, which raises ValueError when no
    exception is being handled: the case of a path that matches no route (``/a/b/c/d/e/f``), so a 404
    became a 500 with a traceback on the console. This prints only inside an ``except`` (real errors keep
    their console traceback) and lets the 404 page through."""

    def __init__(self, rich) -> None:
        self.rich = rich

    def get_console(self):
        return self

    def print_exception(self, **kwargs: Any) -> None:
        if sys.exc_info()[0] is not None:
            self.rich.get_console().print_exception(**kwargs)


def _guard_datasette_404() -> None:
    handler = importlib.import_module("datasette.handle_exception")
    rich = getattr(handler, "rich", None)
    if rich is not None and not isinstance(rich, _RichInsideExcept):
        handler.rich = _RichInsideExcept(rich)


_guard_datasette_404()


@hookimpl
def asgi_wrapper(datasette):
    return _joined_slashes


@hookimpl
def prepare_connection(conn):
    """Search's SQL functions (``folded_body``, ``search_form``) on Datasette's connections too."""
    register_functions(conn)


@hookimpl
def register_routes(datasette):
    return [
        (r"^/(?P<format>\.json)?$", home_view),
        (r"^/search(?P<format>\.json)?$", search_view),
        (r"^/article/(?P<site>[^/]+)/(?P<article_id>\d+)(?P<format>\.json)?$", article_view),
        (r"^/runs(?P<format>\.json)?$", runs_view),
    ]
