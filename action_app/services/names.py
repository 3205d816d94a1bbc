"""Constituency names: one normalised key so postcodes.io, the Members API and CSV files join.

The sources spell some seats differently ("Ynys Môn" / "Ynys Mon", "Montgomeryshire and Glyndŵr" /
"Glyndwr", "Bridlington and The Wolds" / "the Wolds"). The key case-folds, strips accents, spells
"&" as "and", drops apostrophes and full stops, and turns every other run of punctuation or space
into one space. What that cannot reconcile goes in ``KEY_OVERRIDES``; what is left is matched by
its set of significant words, and only when exactly one seat fits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_APOSTROPHES = re.compile(r"[\u0027\u2018\u2019\u02bc\u0060\u00b4.]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_STOP_WORDS = frozenset({"and", "the", "of", "upon", "on", "with"})

# Spellings that differ by more than case, accents or punctuation, mapped to the key of the
# spelling the directory keeps. Add a line when a sync reports an unmatched seat.
KEY_OVERRIDES: dict[str, str] = {
    "ynys mon anglesey": "ynys mon",
    "anglesey": "ynys mon",
}


def constituency_key(name: str) -> str:
    """The normalised join key for a constituency name."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = stripped.casefold().replace("&", " and ")
    folded = _APOSTROPHES.sub("", folded)
    key = _NOT_WORD.sub(" ", folded).strip()
    return KEY_OVERRIDES.get(key, key)


def _word_set(key: str) -> frozenset[str]:
    return frozenset(word for word in key.split() if word not in _STOP_WORDS)


def match_key(name: str, known_keys: Iterable[str]) -> str | None:
    """The known key this name refers to: exact after normalising, else a unique word-set match."""
    key = constituency_key(name)
    keys = set(known_keys)
    if key in keys:
        return key
    words = _word_set(key)
    if not words:
        return None
    candidates = [known for known in keys if _word_set(known) == words]
    return candidates[0] if len(candidates) == 1 else None
