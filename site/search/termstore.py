"""The words of every sentence a full rebuild analysed, kept beside the index it built, so the
next rebuild reads them instead of running Sudachi again over text that has not changed.

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

from search.analysis import sentence_index_words

FLUSH_EVERY = 5_000
MEMORY_SENTENCES = 100_000
SEPARATOR = " "


def digest(sentence: str) -> bytes:
    return hashlib.blake2b(sentence.encode(), digest_size=12).digest()


class TermStore:
    def __init__(self, path: Path, previous: Path | None = None):
        self.path = path
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS sentence_words (digest BLOB PRIMARY KEY, words TEXT)"
            " WITHOUT ROWID"
        )
        self._previous = None
        if previous is not None and previous.exists():
            self._previous = sqlite3.connect(f"file:{previous}?mode=ro", uri=True)
        self._memory: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._pending: list[tuple[bytes, str]] = []
        self.reused = 0
        self.analysed = 0

    def words(self, sentence: str) -> tuple[str, ...]:
        found = self._memory.get(sentence)
        if found is not None:
            self._memory.move_to_end(sentence)
            return found
        key = digest(sentence)
        row = None
        if self._previous is not None:
            row = self._previous.execute(
                "SELECT words FROM sentence_words WHERE digest = ?", (key,)
            ).fetchone()
        if row is not None:
            found = tuple(row[0].split(SEPARATOR)) if row[0] else ()
            self.reused += 1
        else:
            found = sentence_index_words(sentence)
            self.analysed += 1
        self._pending.append((key, SEPARATOR.join(found)))
        if len(self._pending) >= FLUSH_EVERY:
            self._flush()
        self._memory[sentence] = found
        if len(self._memory) > MEMORY_SENTENCES:
            self._memory.popitem(last=False)
        return found

    def _flush(self):
        if self._pending:
            self._db.executemany(
                "INSERT OR IGNORE INTO sentence_words VALUES (?, ?)", self._pending
            )
            self._db.commit()
            self._pending = []

    def close(self):
        self._flush()
        self._db.close()
        if self._previous is not None:
            self._previous.close()
        self._memory.clear()
