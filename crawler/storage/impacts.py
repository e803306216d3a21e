"""Search impacts: an exact top-k of FTS5's bm25 that scores a few blocks of rowids, not every match (issue 22).

FTS5's ``order by bm25(articles_fts) limit 20`` calls bm25 on every match (0.75 µs each: 220 ms for a word
in 87 % of 338,000 articles). Here the rowids are cut into blocks of 1,024; for each block and each word
frequent in it (in ≥ ``MIN_BLOCK_DF`` of its articles) the archive keeps:

- ``search_impacts(term, block, df, front)``: how many of the block's articles hold the word, and the Pareto
  front of their (term frequency f, document length D) pairs: the articles no other one beats with a higher f
  *and* a shorter D. bm25's share of a word, idf·f(k1+1)/(f + k1(1 − b + b·D/avgdl)), rises with f and falls
  with D for any idf and avgdl, so its best over the front is the best over the block — at today's idf and
  avgdl, which change as the archive grows (a stored score would go stale; the front does not).
- ``search_postings(block, term, docs)``: which of the block's articles hold it and how often (a bitmap and
  one frequency each), to score the block without FTS5;
- ``search_blocks(block, lengths)``: each article's D (= FTS5's ``_docsize``), and by its presence that the
  block's impacts are whole and current. The writer deletes the row of a block whose index entries it
  writes (``mark``), in the same transaction: such a block is scored by FTS5 itself until it is rebuilt, so
  a stale impact is never read.

``ranked`` answers a query of words (no phrase, no filter) as ``order by bm25 limit k`` would, with FTS5's
own float arithmetic (fts5_aux.c: nHit, idf, avgdl, k1 = 1.2, b = 0.75): blocks without impacts for a word
(not built, changed, the open tail, or the word rare there) are scored by FTS5 in one statement; the others
in order of their bound, until the k-th best score beats every bound left. Ties keep FTS5's order (rowid).
``SearchImpacts`` builds a block when it is full, at the writer's commit, from the search forms the writer
just indexed (``Archive.flush``), or recomputed from the stored rows for a block changed later.
"""

from __future__ import annotations

import bisect
import heapq
import math
import sqlite3
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence

from crawler.storage.records import body_text, record_from_row
from crawler.storage.tokens import SIMPLE, index_form
from crawler.text import fold_arabic, stem_folded

BLOCK_BITS = 10
BLOCK = 1 << BLOCK_BITS
# A word gets impacts in a block where ≥ 32 of its 1,024 articles hold it (≥ 3 %): a rarer word's matches are
# few enough for FTS5's own bm25 (30,000 matches at 1M articles: ~25 ms).
MIN_BLOCK_DF = 32
# Older blocks (changed since built, or written before this module) rebuilt at each build, from the stored
# rows (~250 µs an article to recompute the search forms): the cost of a build stays bounded.
REBUILDS_PER_COMMIT = 2
# The writer builds no impacts while the archive holds fewer blocks than this (32,768 rowids): there FTS5 ranks
# a common word in a few ms (10,000 articles: p95 ~3 ms), and building costs ~120 µs an article, a sixth of a
# small run's writer CPU (bench_pipelines: 0.30 s at close for 1,890 articles). `arshif migrate` builds anyway.
MIN_BLOCKS = 32
KEPT_BLOCKS = 4  # the writer keeps the search forms of its newest 4 blocks for their build
K1, B = 1.2, 0.75  # FTS5's bm25 (fts5_aux.c)
MAX_WORDS = 4
# More separate runs of blocks FTS5 must score for one query than this: the word is not frequent enough for
# impacts to pay; the plain ranking answers.
MAX_UNKNOWN_RUNS = 64
# Several words: after scoring this many blocks, give up if half of all would still have to be.
PROBE_BLOCKS = 16
BOUND_SLACK = 1 + 1e-9  # a block's bound is raised a hair: rounding never makes a block look worse than it is

# Tables, written by migration ``m2xx_search3_search_impacts`` (crawler.storage.schema).
SCHEMA = (
    "create table search_blocks (block integer primary key, lengths blob not null)",
    "create table search_impacts (term text not null, block integer not null, df integer not null,"
    " front blob not null, primary key (term, block)) without rowid",
    "create table search_postings (block integer not null, term text not null, docs blob not null,"
    " primary key (block, term)) without rowid",
    # Blocks whose index entries changed since their impacts were built (or that have none yet): the
    # writer's to-do list, read by key (a commit never scans the blocks).
    "create table search_dirty (block integer primary key)",
    # An archive's existing blocks are to do (built a few at a time, or at once by ``build_all``).
    f"insert into search_dirty (block) select distinct id >> {BLOCK_BITS} from articles_fts_docsize",
)


def mark(conn: sqlite3.Connection, rowids: Iterable[int]) -> None:
    """The blocks of rowids whose search index entries are being written: their impacts are no longer read
    (FTS5 ranks them) and they are to do. Called by the writer beside each write to ``articles_fts``
    (``Archive.flush`` and ``Archive._unindex``), in the same transaction. A trigger on ``articles`` did
    this at first: it made SQLite read every old row on each update and cost ~20 µs an article stored."""
    blocks = sorted({rowid >> BLOCK_BITS for rowid in rowids})
    if blocks:
        conn.execute(f"delete from search_blocks where block in ({','.join('?' * len(blocks))})", blocks)
        conn.executemany("insert or ignore into search_dirty (block) values (?)", [(block,) for block in blocks])


# Impacts are kept and used for simple words only (``crawler.storage.tokens.SIMPLE``: one token as it is).
_BITS = tuple(tuple(bit for bit in range(8) if byte >> bit & 1) for byte in range(256))


def simple_word(word: str) -> bool:
    return SIMPLE.fullmatch(word) is not None


def _tokens(form: str) -> list[str]:
    """FTS5's tokens of a search form, as the index holds them (``index_form``: the form's words when simple;
    else unicode61's tokens, e.g. ``café`` is ``cafe``, which a regex of letters and digits once took as is)."""
    return index_form(form).split()


def varints(blob: bytes) -> list[int]:
    """FTS5's varints (SQLite's: 7 bits a byte, high bit = more), e.g. a ``_docsize`` row → tokens per column."""
    out, i = [], 0
    while i < len(blob):
        value = 0
        while True:
            byte = blob[i]
            i += 1
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(value)
    return out


def _ranges(blocks: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted block numbers → runs of consecutive blocks as (first rowid, last rowid)."""
    runs: list[list[int]] = []
    for block in blocks:
        if runs and runs[-1][1] == block - 1:
            runs[-1][1] = block
        else:
            runs.append([block, block])
    return [(first << BLOCK_BITS, ((last + 1) << BLOCK_BITS) - 1) for first, last in runs]


def _front(freqs: Sequence[int], lengths: Sequence[int]) -> bytes:
    """The Pareto front of (f, D): for each f, the shortest article with at least that f, kept when it is
    shorter than any with a higher f (e.g. (1, 40), (3, 90), (7, 300): no article beats one in both)."""
    shortest: dict[int, int] = {}
    for freq, length in zip(freqs, lengths):
        if length < shortest.get(freq, 1 << 32):
            shortest[freq] = length
    front: list[int] = []
    bound = 1 << 32
    for freq in sorted(shortest, reverse=True):  # f falling: keep the pair when D falls too
        if shortest[freq] < bound:
            bound = shortest[freq]
            front += (bound, freq)
    pairs = array("I", front[::-1])  # (f, D) pairs, f and D rising
    return pairs.tobytes()


# A block's postings of a word: a bitmap of the articles (offsets in the block) holding it, then their f in
# offset order, as 4-bit nibbles when every f < 16 (most: 0.75 byte an article with the bitmap), else bytes,
# else 2-byte integers; the first byte says which.
_NIBBLES, _BYTES, _SHORTS = 0, 1, 2


def _docs_blob(offsets: list[int], freqs: list[int]) -> bytes:
    bitmap = sum(map((1).__lshift__, offsets)).to_bytes(BLOCK // 8, "little")
    top = max(freqs)
    if top < 16:
        packed = bytes(freqs) + (b"\0" if len(freqs) % 2 else b"")
        # Each byte < 16: shifting the odd bytes' integer by 4 moves each into its pair's high nibble.
        even, odd = packed[0::2], packed[1::2]
        nibbles = (int.from_bytes(even, "little") | int.from_bytes(odd, "little") << 4).to_bytes(len(even), "little")
        return bytes((_NIBBLES,)) + bitmap + nibbles
    if top < 256:
        return bytes((_BYTES,)) + bitmap + bytes(freqs)
    return bytes((_SHORTS,)) + bitmap + array("H", freqs).tobytes()


def _decode_docs(blob: bytes) -> tuple[list[int], Sequence[int]]:
    kind, bitmap, rest = blob[0], blob[1:1 + BLOCK // 8], blob[1 + BLOCK // 8:]
    offsets = [base + bit for base, byte in zip(range(0, BLOCK, 8), bitmap) if byte for bit in _BITS[byte]]
    if kind == _NIBBLES:
        value, mask = int.from_bytes(rest, "little"), int.from_bytes(b"\x0f" * len(rest), "little")
        freqs = bytearray(2 * len(rest))
        freqs[0::2] = (value & mask).to_bytes(len(rest), "little")
        freqs[1::2] = (value >> 4 & mask).to_bytes(len(rest), "little")
        return offsets, freqs[:len(offsets)]
    if kind == _BYTES:
        return offsets, rest
    freqs = array("H")
    freqs.frombytes(rest)
    return offsets, freqs


def _lengths(blob: bytes) -> array:
    lengths = array("H" if len(blob) == 2 * BLOCK else "I")
    lengths.frombytes(blob)
    return lengths


def stored_forms(row: dict) -> tuple[str, str]:
    """The search forms of a stored row, as ``Archive._unindex`` recomputes them (title, body)."""
    return stem_folded(row["title_folded"] or ""), stem_folded(fold_arabic(body_text(record_from_row(row))))


def build_block(conn: sqlite3.Connection, block: int, forms: dict[int, tuple[str, str]] | None = None) -> bool:
    """(Re)build one block's impacts from its articles' search forms (``forms``, else recomputed from the
    stored rows), checked against FTS5: each article's token count must be its ``_docsize`` length, else the
    block is left without impacts (FTS5 scores it). Runs in the caller's transaction; True when built."""
    low, high = block << BLOCK_BITS, ((block + 1) << BLOCK_BITS) - 1
    forms = forms or {}
    sizes = {rowid: sum(varints(size)) for rowid, size in conn.execute(
        "select id, sz from articles_fts_docsize where id between ? and ?", [low, high])}
    missing = [rowid for rowid in sizes if rowid not in forms]
    found = dict(forms)
    if missing:
        cursor = conn.execute(
            f"select rowid, * from articles where rowid in ({','.join('?' * len(missing))})", missing)
        names = [column[0] for column in cursor.description]
        for values in cursor:
            row = dict(zip(names, values))
            found[row["rowid"]] = stored_forms(row)
    lengths = array("I", bytes(4 * BLOCK))
    docs: list[tuple[int, Counter]] = []
    for rowid, size in sizes.items():
        title, body = found.get(rowid, ("", ""))
        counts = Counter(_tokens(title))
        counts.update(_tokens(body))
        if rowid not in found or counts.total() != size:
            return False  # not what FTS5 holds (a row gone, another tokenization): FTS5 keeps scoring it
        lengths[rowid - low] = size
        docs.append((rowid - low, counts))
    docs.sort(key=lambda doc: doc[0])
    block_df: Counter = Counter()
    for _, counts in docs:
        block_df.update(counts.keys())
    frequent = {term for term, df in block_df.items() if df >= MIN_BLOCK_DF and simple_word(term)}
    members: dict[str, tuple[list[int], list[int]]] = {term: ([], []) for term in frequent}
    for offset, counts in docs:  # ~130 frequent words an article: the loop is kept tight
        for term in counts.keys() & frequent:
            offsets, freqs = members[term]
            offsets.append(offset)
            freqs.append(counts[term])
    conn.execute("delete from search_impacts where block = ? and term in"
                 " (select term from search_postings where block = ?)", [block, block])
    conn.execute("delete from search_postings where block = ?", [block])
    impacts, docs_rows = [], []
    for term, (offsets, freqs) in members.items():
        impacts.append((term, block, len(offsets), _front(freqs, list(map(lengths.__getitem__, offsets)))))
        docs_rows.append((block, term, _docs_blob(offsets, freqs)))
    conn.executemany("insert into search_impacts (term, block, df, front) values (?, ?, ?, ?)", impacts)
    conn.executemany("insert into search_postings (block, term, docs) values (?, ?, ?)", docs_rows)
    packed = array("H", lengths).tobytes() if max(lengths) < 1 << 16 else lengths.tobytes()
    conn.execute("insert or replace into search_blocks (block, lengths) values (?, ?)", [block, packed])
    conn.execute("delete from search_dirty where block = ?", [block])
    return True


class SearchImpacts:
    """The writer's side: remembers the search forms it indexes (``indexed``) and, at each commit
    (``build_due``), builds the blocks that are full and have no impacts yet."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._forms: dict[int, tuple[str, str]] = {}
        self._failed: set[int] = set()  # blocks whose check failed this session: not retried at every commit

    def indexed(self, forms: dict[int, tuple[str, str]]) -> None:
        """Rows just written to the search index, with their forms (kept for their block's build)."""
        mark(self.conn, forms)
        self._forms.update(forms)
        if len(self._forms) > KEPT_BLOCKS * BLOCK:  # older blocks are rebuilt from their stored rows
            keep = (max(self._forms) >> BLOCK_BITS) - KEPT_BLOCKS + 1
            self._forms = {rowid: pair for rowid, pair in self._forms.items() if rowid >> BLOCK_BITS >= keep}

    def build_committed(self, limit: int | None = None, rebuilds: int = REBUILDS_PER_COMMIT,
                        tail: bool = False) -> int:
        """``build_due`` in a transaction of its own, between the writer's batches (at close, or when a
        crawl idles): the store's per-article cost does not carry it (~100 µs an article, once)."""
        if self.conn.in_transaction:
            return 0
        try:
            self.conn.execute("begin")
            count = self.build_due(limit, rebuilds, tail)
            self.conn.commit()
        except sqlite3.OperationalError:
            # A full disk or a lock held elsewhere: the articles are committed already and impacts are only a
            # faster path, so the writer goes on (or closes); the blocks stay marked and FTS5 ranks them.
            if self.conn.in_transaction:
                self.conn.rollback()
            return 0
        except BaseException:
            if self.conn.in_transaction:
                self.conn.rollback()
            raise
        return count

    def build_due(self, limit: int | None = None, rebuilds: int = REBUILDS_PER_COMMIT, tail: bool = False) -> int:
        """Build the full blocks marked to do: those the writer has the forms of (the block it just filled),
        and up to ``rebuilds`` others, from the stored rows. Returns the blocks built. ``tail``: the open
        block too, as it is now (at the end of a run: a search of the archive at rest then needs no FTS5
        ranking at all; the next article stored in it marks it again)."""
        top = self.conn.execute("select max(id) from articles_fts_docsize").fetchone()[0]
        if top is None:
            return 0
        last = top >> BLOCK_BITS  # the open block: built once the next one starts, or with ``tail``
        if last < MIN_BLOCKS:
            return 0  # a small archive: FTS5 ranks it fast enough; its blocks stay marked for later
        due = [block for (block,) in self.conn.execute(
            "select block from search_dirty where block <= ? order by block desc", [last])
               if block < last or tail]
        count, done_rebuilds = 0, 0
        for block in due:  # newest first: those whose forms are in memory
            if block in self._failed or (limit is not None and count >= limit):
                continue
            low, high = block << BLOCK_BITS, (block + 1) << BLOCK_BITS
            forms = {rowid: self._forms[rowid] for rowid in range(low, high) if rowid in self._forms}
            rows = self.conn.execute("select count(*) from articles_fts_docsize where id >= ? and id < ?",
                                     [low, high]).fetchone()[0]
            if 2 * len(forms) < rows:  # most of its forms recomputed from the stored rows
                if done_rebuilds >= rebuilds:
                    continue
                done_rebuilds += 1
            if build_block(self.conn, block, forms):
                count += 1
            else:
                self._failed.add(block)
        self._forms = {rowid: pair for rowid, pair in self._forms.items() if rowid >> BLOCK_BITS >= last}
        return count


def blocks_due(conn: sqlite3.Connection) -> int:
    """How many blocks wait for their impacts (marked by a write or by the migration); FTS5 ranks them until built."""
    return conn.execute("select count(*) from search_dirty").fetchone()[0]


def build_all(conn: sqlite3.Connection) -> int:
    """Build every block marked to do (the open one too), from the stored rows (an archive written before impacts
    existed, at once rather than a few per commit). The caller commits."""
    top = conn.execute("select max(id) from articles_fts_docsize").fetchone()[0]
    if top is None:
        return 0
    due = [block for (block,) in conn.execute("select block from search_dirty where block <= ?", [top >> BLOCK_BITS])]
    return sum(build_block(conn, block) for block in due)


def _averages(conn: sqlite3.Connection) -> tuple[int, int]:
    """FTS5's row count and total tokens (all columns), from its averages record (``_data`` id 1)."""
    row = conn.execute("select block from articles_fts_data where id = 1").fetchone()
    if row is None:
        return 0, 0
    values = varints(row[0])
    return values[0], sum(values[1:])


_K1_1, _1_B = K1 + 1.0, 1 - B  # the same doubles as ``k1 + 1.0`` and ``1 - b`` in FTS5's expression


def _bound(idfs: Sequence[float], fronts: Sequence[bytes], avgdl: float) -> float:
    """The best bm25 any article of a block can have for all the words, from each word's (f, D) front there.

    An article of length D holds each word i at most F_i(D) times, the highest f of the word's front among
    pairs no longer than D (the pair that dominates the article's own). So its score is at most
    Σ_i part(F_i(D), D), and, that sum falling with D between two front lengths, the bound is its maximum
    over the fronts' lengths. For one word: the best over its front. Tighter than the sum of each word's
    best, which pairs the highest f of one word with the shortest article holding another."""
    pairs = []
    for front in fronts:
        values = array("I")
        values.frombytes(front)
        pairs.append((values[0::2], values[1::2]))  # f rising, D rising
    if len(pairs) == 1:
        (freqs, lengths), idf = pairs[0], idfs[0]
        return max(_part(idf, freq, length, avgdl) for freq, length in zip(freqs, lengths))
    shortest = max(lengths[0] for _, lengths in pairs)  # an article holding every word is no shorter
    best = 0.0
    for length in sorted({length for _, lengths in pairs for length in lengths if length >= shortest}):
        total = 0.0
        for idf, (freqs, lengths) in zip(idfs, pairs):
            total += _part(idf, freqs[bisect.bisect_right(lengths, length) - 1], length, avgdl)
        best = max(best, total)
    return best


def _part(idf: float, freq: float, length: float, avgdl: float) -> float:
    """One word's share of bm25, with FTS5's operations in FTS5's order (fts5Bm25Function)."""
    return idf * ((freq * (K1 + 1.0)) / (freq + K1 * (1 - B + B * length / avgdl)))


def ranked_snapshot(conn: sqlite3.Connection, words: Sequence[str], wanted: int,
                    stats: dict | None = None) -> list[int] | None:
    """``ranked`` in one read transaction: its statements see one state of the archive (a writer's commit
    between them could pair a block's impacts with another state of the index)."""
    if conn.in_transaction:
        # The writer's open batch: FTS5 keeps the row and token totals it has changed in memory until the
        # commit (its ``_data`` averages record is the last commit's), so idf and avgdl cannot be read here.
        return None
    conn.execute("begin")
    try:
        return ranked(conn, words, wanted, stats)
    finally:
        conn.commit()


def ranked(conn: sqlite3.Connection, words: Sequence[str], wanted: int,
           stats: dict | None = None) -> list[int] | None:
    """The rowids of the ``wanted`` best matches of all ``words`` (search forms), in the order of
    ``select rowid from articles_fts where articles_fts match '"w1" "w2"' order by bm25(articles_fts)
    limit wanted`` — or None when impacts cannot answer (no impacts table, a word they do not cover, too many
    words): the caller ranks as before. Call inside one read transaction (``ranked_snapshot``). ``stats``, if
    given, receives the blocks with impacts (``known``), those scored (``scored``) and the runs of blocks FTS5
    scored (``fts_runs``)."""
    if not words or len(words) > MAX_WORDS or not all(map(simple_word, words)) or wanted <= 0:
        return None
    try:
        top = conn.execute("select max(id) from articles_fts_docsize").fetchone()[0]
        built = {block for (block,) in conn.execute("select block from search_blocks")}
    except sqlite3.OperationalError:  # an archive from before impacts, opened read-only
        return None
    if top is None:
        return []
    nrow, ntoken = _averages(conn)
    if nrow <= 0:
        return None
    avgdl = float(ntoken) / float(nrow)
    blocks = range((top >> BLOCK_BITS) + 1)
    match = " ".join(f'"{word}"' for word in words)
    fronts = [{block: (df, data) for block, df, data in conn.execute(
        "select block, df, front from search_impacts where term = ?", [word]) if block in built} for word in words]
    known = set(fronts[0]).intersection(*fronts[1:])
    if not known:
        return None  # no block has impacts for every word: FTS5's ranking, unchanged, is as fast
    idfs = []
    for word, front in zip(words, fronts):
        # FTS5's nHit: the articles holding the word, from the impacts and, for other blocks, FTS5's count.
        unknown = _ranges([block for block in blocks if block not in front])
        if len(unknown) > MAX_UNKNOWN_RUNS:
            return None
        hits = sum(df for df, _ in front.values())
        for low, high in unknown:
            hits += conn.execute("select count(*) from articles_fts where articles_fts match ? and rowid between ?"
                                 " and ?", [f'"{word}"', low, high]).fetchone()[0]
        idf = math.log((nrow - hits + 0.5) / (hits + 0.5))
        idfs.append(idf if idf > 0.0 else 1e-6)
    # The best ``wanted`` as (score, -rowid) in a min-heap: its top is the worst kept.
    best: list[tuple[float, int]] = []

    def offer(score: float, rowid: int) -> None:
        entry = (score, -rowid)
        if len(best) < wanted:
            heapq.heappush(best, entry)
        elif entry > best[0]:
            heapq.heapreplace(best, entry)

    unknown = _ranges([block for block in blocks if block not in known])
    if unknown:
        within = " or ".join("rowid between ? and ?" for _ in unknown)
        for rowid, value in conn.execute(
                f"select rowid, bm25(articles_fts) from articles_fts where articles_fts match ? and rowid >= ?"
                f" and rowid <= ? and ({within})",
                [match, unknown[0][0], unknown[-1][1], *(bound for run in unknown for bound in run)]):
            offer(-value, rowid)
    bounds = [(_bound(idfs, [front[block][1] for front in fronts], avgdl) * BOUND_SLACK, block) for block in known]
    bounds.sort(reverse=True)
    scored = 0
    for bound, block in bounds:
        if len(best) >= wanted and bound < best[0][0]:
            break  # no article of this block, nor of any after it, can enter the top
        if len(words) > 1 and scored == PROBE_BLOCKS and len(best) >= wanted:
            # Words whose bounds stay above the k-th best in most blocks (two words in 3/4 of the articles:
            # idf at FTS5's floor, every block alike): scoring them all here costs more than FTS5's ranking.
            floor = best[0][0]
            if sum(1 for later, _ in bounds if later >= floor) > max(PROBE_BLOCKS, len(bounds) // 2):
                return None
        lengths = _lengths(conn.execute("select lengths from search_blocks where block = ?", [block]).fetchone()[0])
        low = block << BLOCK_BITS
        scored += 1
        postings = [_decode_docs(conn.execute("select docs from search_postings where block = ? and term = ?",
                                              [block, word]).fetchone()[0]) for word in words]
        if len(words) == 1:
            (offsets, freqs), idf = postings[0], idfs[0]
            # = _part for each article, inline (20,000 articles a query).
            scores = [idf * ((freq * _K1_1) / (freq + K1 * (_1_B + B * lengths[offset] / avgdl)))
                      for offset, freq in zip(offsets, freqs)]
            floor = best[0][0] if len(best) >= wanted else -math.inf
            for offset, score in zip(offsets, scores):
                if score >= floor:
                    offer(score, low + offset)
                    floor = best[0][0] if len(best) >= wanted else -math.inf
            continue
        by_offset = [dict(zip(offsets, freqs)) for offsets, freqs in postings]
        for offset in sorted(set(by_offset[0]).intersection(*by_offset[1:])):
            length = lengths[offset]
            score = 0.0
            for idf, posting in zip(idfs, by_offset):
                score += _part(idf, posting[offset], length, avgdl)
            offer(score, low + offset)  # FTS5's value is -score
    if stats is not None:
        stats.update(known=len(known), scored=scored, fts_runs=len(unknown))
    return [-negative for _, negative in sorted(best, key=lambda entry: (-entry[0], -entry[1]))]
