"""`arshif serve`: the archive in a browser — Datasette, read-only, with Arshif's own pages.

- :mod:`crawler.serve.plugin`: the Datasette plugin (home, search, article, runs; HTML and JSON);
- :mod:`crawler.serve.pages`: what each page shows, as plain data;
- :class:`crawler.storage.ArchiveReader`: the reads behind them (SQL stays in crawler/storage);
- :mod:`crawler.serve.chart` (SVG coverage charts) and :mod:`crawler.serve.diff` (word diffs).

The archive is opened ``?mode=ro`` (Datasette's mutable-but-read-only mode): it can serve an archive a
crawl is writing to and sees each committed batch, and it can never write to it.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from crawler.errors import UsageError
from crawler.export import MissingExtraError

TEMPLATES = Path(__file__).with_name("templates")
METADATA = Path(__file__).resolve().parents[2] / "docs" / "metadata.json"
METADATA_KEY = "arshif"  # the database key docs/metadata.json uses (Datasette's name for arshif.db)


def require_datasette() -> None:
    try:
        import datasette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise MissingExtraError(
            "arshif serve needs Datasette: pip install -e '.[serve]' (or: pip install datasette)"
        ) from None


def metadata_for(db_path: Path, source: Path = METADATA) -> dict[str, Any]:
    """docs/metadata.json with its database key renamed to the one Datasette gives ``db_path``."""
    if not source.is_file():
        return {"title": "Arshif (أرشيف)"}
    metadata = json.loads(source.read_text(encoding="utf-8"))
    databases = metadata.get("databases", {})
    if METADATA_KEY in databases:
        databases[db_path.stem] = databases.pop(METADATA_KEY)
    return metadata


def build_datasette(db_path: str | Path):
    """A Datasette instance over ``db_path`` (read-only) with the Arshif plugin and metadata."""
    require_datasette()
    from datasette.app import Datasette
    from datasette.plugins import pm

    from crawler.serve import plugin

    path = Path(db_path)
    if not path.is_file():
        raise UsageError(f"no archive at {db_path} (give --db or set ARSHIF_DB)")
    from crawler.storage import ArchiveReader

    ArchiveReader(path).close()  # an archive with pending migrations: ArchiveOutdated (`arshif migrate`)
    if pm.get_plugin("arshif") is None:
        pm.register(plugin, name="arshif")
    return Datasette(
        files=[str(path)],
        metadata=metadata_for(path),
        template_dir=str(TEMPLATES),
        settings={"sql_time_limit_ms": 3000, "facet_time_limit_ms": 1000},
    )


def pending_upgrades(path: Path) -> list[str]:
    """The archive's migrations not applied yet (read-only check: an old search index would answer
    stemmed queries wrongly, and the server cannot upgrade a file it opens read-only)."""
    from crawler.storage.reader import pending_migrations, read_only_connection

    conn = read_only_connection(path)
    try:
        return pending_migrations(conn)
    finally:
        conn.close()


def bind(host: str, port: int) -> socket.socket:
    """The listening socket (``port`` 0 = any free port), so the URL can be printed before serving."""
    try:
        sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def serve(datasette, sock: socket.socket, *, log_level: str = "warning") -> None:
    """Serve ``build_datasette``'s instance on ``sock`` until interrupted."""
    import uvicorn

    config = uvicorn.Config(datasette.app(), log_level=log_level, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
