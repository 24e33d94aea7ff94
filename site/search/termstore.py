"""The words and reading of every sentence a full rebuild analysed, kept beside the index it
built, so the next rebuild reads them instead of running Sudachi again over text that has not
changed.

Sudachi is the slow part of analysis (a few microseconds a character). A rebuild changes the
index's columns or settings far more often than it changes most posts, so each sentence's
words are stored under a digest of the sentence: the next rebuild looks them up in the live
generation's store, and writes the ones it used into the new generation's store. Sentences of
deleted or edited posts are left behind with the old generation. The store is a cache: losing it
costs time, never results.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import OrderedDict
from pathlib import Path

from search.analysis import analyse_sentence

FLUSH_EVERY = 5_000
MEMORY_SENTENCES = 100_000
SEPARATOR = " "


def digest(sentence: str) -> bytes:
    return hashlib.blake2b(sentence.encode(), digest_size=12).digest()


class TermStore:
    def __init__(self, path: Path, previous: Path | None = None):
        self.path = path
        self.previous_path = previous
        # Several worker processes of a rebuild write it: each waits for the others' writes.
        self._db = sqlite3.connect(path, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS sentences"
            " (digest BLOB PRIMARY KEY, words TEXT, readings TEXT) WITHOUT ROWID"
        )
        self._previous = None
        if previous is not None and previous.exists():
            self._previous = sqlite3.connect(f"file:{previous}?mode=ro", uri=True)
        self._memory: OrderedDict[str, tuple[tuple[str, ...], tuple[str, ...]]] = OrderedDict()
        self._pending: list[tuple[bytes, str, str]] = []
        self.reused = 0
        self.analysed = 0

    def analysis(self, sentence: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The words and readings of a sentence (``search.analysis.analyse_sentence``)."""
        found = self._memory.get(sentence)
        if found is not None:
            self._memory.move_to_end(sentence)
            return found
        key = digest(sentence)
        row = None
        if self._previous is not None:
            try:
                row = self._previous.execute(
                    "SELECT words, readings FROM sentences WHERE digest = ?", (key,)
                ).fetchone()
            except sqlite3.Error:  # a store of another format: analysed afresh
                self._previous = None
        if row is not None:
            found = tuple(tuple(column.split(SEPARATOR)) if column else () for column in row)
            self.reused += 1
        else:
            found = analyse_sentence(sentence)
            self.analysed += 1
        self._pending.append((key, SEPARATOR.join(found[0]), SEPARATOR.join(found[1])))
        if len(self._pending) >= FLUSH_EVERY:
            self.flush()
        self._memory[sentence] = found
        if len(self._memory) > MEMORY_SENTENCES:
            self._memory.popitem(last=False)
        return found

    def flush(self):
        if self._pending:
            self._db.executemany("INSERT OR IGNORE INTO sentences VALUES (?, ?, ?)", self._pending)
            self._db.commit()
            self._pending = []

    def close(self):
        self.flush()
        self._db.close()
        if self._previous is not None:
            self._previous.close()
        self._memory.clear()
