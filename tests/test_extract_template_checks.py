"""The template's check schedule (crawler.extract.template._verify): every VERIFY_EVERY-th page while a template
is young, every VERIFY_SETTLED_EVERY-th once it has passed SETTLED_AFTER checks in a row, and a layout change
after the back-off is still caught: by a check within VERIFY_SETTLED_EVERY pages where the template still fits,
by MISSES_BEFORE_RELEARN pages where it no longer does."""

from __future__ import annotations

from crawler.extract.decode import decode, parse, parsed_bytes
from crawler.extract.known import KnownSiteFields
from crawler.extract.template import (MISSES_BEFORE_RELEARN, SETTLED_AFTER, VERIFY_EVERY, VERIFY_SETTLED_EVERY,
                                      Templates)
from crawler.extract.walk import walk
from crawler.mirror import MirrorConfig, article_ids, render
from crawler.sites import get_site

SITE = get_site("alhadath")


def pages(markup: str, count: int, seed: int, start_id: int) -> list[tuple[bytes, str]]:
    config = MirrorConfig(articles=count * 5 // 4 + 10, seed=seed, start_id=start_id, markup=markup, weight="light")
    ids = article_ids(config)[:count]  # some served ids are no article (soft 404s, redirects): ~1 in 8
    assert len(ids) == count
    return [(render(config, f"/article/{i}/x").body, f"https://www.alhadath.ps/article/{i}/x") for i in ids]


class Run:
    """Pages of one site through one Templates, each page's builds noted; ``changed`` makes the whole page's
    record differ from the block's (a layout change the template still fits: e.g. a paragraph moved out of it)."""

    def __init__(self) -> None:
        self.templates = Templates()
        self.changed = False
        self.checks: list[int] = []  # the pages (1-based) the template's record was compared with the whole one's
        self.page = 0

    def read(self, body: bytes, url: str) -> tuple[dict | None, dict | None]:
        """(the record the template path returns, the whole page's record) for the next page."""
        self.page += 1
        text, codec = decode(body)
        root = parse(text)
        stamp = SITE.timestamp_pattern
        state = self.templates.sites.get(SITE.name)
        compared = (state.verified + state.dropped) if state is not None else 0

        def whole_record() -> dict | None:
            built = KnownSiteFields(root, walk(root, stamp), SITE, url, codec).build()
            if built is None:
                return None
            record = built.record
            return {**record, "paragraphs": [*record["paragraphs"], "(a paragraph moved out of the block)"]} \
                if self.changed else record

        def build(tree, region, context):
            if region is None and tree is root:
                return whole_record()
            built = KnownSiteFields(tree, walk(region, stamp, head=tree.find("head"), context=context), SITE, url,
                                    codec).build()
            return built.record if built is not None else None

        exact = codec == "utf-8" and "\ufffd" not in text
        record = self.templates.extract(SITE.name, lambda: root, build, lambda r: r,
                                        source=parsed_bytes(text, body if exact else None),
                                        selectors=list(SITE.selectors.values()))
        if self.state.verified + self.state.dropped > compared:
            self.checks.append(self.page)
        return record, whole_record()

    @property
    def state(self):
        return self.templates.sites[SITE.name]


def settled_run(seed: int) -> Run:
    """A run whose template has just been checked at its first page checked every VERIFY_SETTLED_EVERY-th."""
    run = Run()
    young = VERIFY_EVERY * SETTLED_AFTER
    for body, url in pages("default", young + VERIFY_SETTLED_EVERY, seed, 40000):
        record, whole = run.read(body, url)
        assert record == whole, url
    assert run.checks == [*range(VERIFY_EVERY, young + 1, VERIFY_EVERY), young + VERIFY_SETTLED_EVERY]
    assert run.state.passed == SETTLED_AFTER + 1 and run.state.dropped == 0 and run.state.cut is not None
    return run


def test_checks_back_off_after_a_run_of_agreeing_checks_and_return_after_a_miss():
    run = settled_run(21)
    start = run.page
    for body, url in pages("default", 2 * VERIFY_SETTLED_EVERY, 22, 50000):
        run.read(body, url)
    assert run.checks[-2:] == [start + VERIFY_SETTLED_EVERY, start + 2 * VERIFY_SETTLED_EVERY]
    # One page in the table layout (no <main>): the template does not fit it; the checks go back to every 20th.
    (body, url), = pages("table", 1, 23, 60000)
    record, whole = run.read(body, url)
    assert record == whole and run.state.misses == 1 and run.state.passed == 0
    missed = run.page
    for body, url in pages("default", 2 * VERIFY_EVERY, 24, 70000):
        record, whole = run.read(body, url)
        assert record == whole, url
    assert [page for page in run.checks if page > missed] == [
        page for page in range(missed + 1, run.page + 1) if page % VERIFY_EVERY == 0]


def test_a_changed_layout_the_template_still_fits_is_caught_by_a_check_within_the_settled_interval():
    run = settled_run(25)
    checked = run.page  # the worst case: the layout changes on the page right after a check
    run.changed = True
    served_changed = 0
    for body, url in pages("default", VERIFY_SETTLED_EVERY, 26, 80000):
        record, whole = run.read(body, url)
        if run.state.dropped:
            break
        served_changed += record != whole  # served by the template before the check saw the change
    assert run.state.dropped == 1 and run.page - checked <= VERIFY_SETTLED_EVERY
    assert record == whole  # the check page's record is the full chain's
    assert served_changed == VERIFY_SETTLED_EVERY - 1  # every page between two settled checks, and no more
    assert run.state.passed == 0 and not run.state.path  # learned again, checked every 20th while young


def test_a_new_layout_the_template_does_not_fit_is_relearned_after_the_back_off():
    run = settled_run(27)
    before = run.state.path
    for n, (body, url) in enumerate(pages("table", MISSES_BEFORE_RELEARN + 1, 28, 90000), 1):
        record, whole = run.read(body, url)
        assert record == whole, url
        if n < MISSES_BEFORE_RELEARN:
            assert run.state.path == before and run.state.misses == n
    assert run.state.path != before and "td[@width='75%']" in run.state.path
    assert run.state.passed == 0 and run.state.dropped == 0
