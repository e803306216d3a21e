"""The `arshif` command line: a thin click layer over the library.

Each command family lives in its own module and registers itself on the ``cli`` group from
``crawler.cli.base`` when imported. The group imports a module when one of its commands is asked for
(``COMMAND_MODULES``), so `arshif mirror` loads neither Scrapy nor the archive's storage.
"""

from crawler.cli.base import cli, main  # noqa: F401
