"""The `arshif` command line: a thin click layer over the library.

Each command family lives in its own module and registers itself on the ``cli`` group from
``crawler.cli.base``; importing them here is what makes them part of the command.
"""

from crawler.cli.base import cli, main  # noqa: F401
from crawler.cli import mirror  # noqa: F401,E402
from crawler.cli import dates  # noqa: F401,E402
from crawler.cli import crawl  # noqa: F401,E402
from crawler.cli import ops  # noqa: F401,E402
from crawler.cli import extract  # noqa: F401,E402
from crawler.cli import serve  # noqa: F401,E402
from crawler.cli import probe  # noqa: F401,E402
from crawler.cli import distributed  # noqa: F401,E402
from crawler.cli import admin  # noqa: F401,E402
