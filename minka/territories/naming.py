"""How names and codes are compared: accent- and case-insensitive, never by display form.

Pure functions, no Django: used by services (to store `search_name`) and selectors (to
normalise a query) so both sides agree.
"""

from __future__ import annotations

import unicodedata


def search_key(text: str) -> str:
    """'Quiñota', 'QUINOTA' and ' quiñota ' all give 'quinota'."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
