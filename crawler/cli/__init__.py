"""The `arshif` command line: a thin click layer over the library.

Each command family lives in its own module and registers itself on the ``cli`` group from
``crawler.cli.base`` when imported; ``crawler.cli.base.COMMAND_MODULES`` says which module holds which
command, and the group imports a module when one of its commands is asked for (a run loads only what its
command needs), or all of them when the commands are listed.
"""

from crawler.cli.base import cli, main  # noqa: F401
