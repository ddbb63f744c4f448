"""Turning a file's identifiers into Minka's data elements, territories and combinations.

Order of resolution, for each identifier: the mapping file first, then the `idScheme` the
sender chose (uid: DHIS2 uids kept on the catalogue and territory aliases of scheme dhis2;
code: Minka codes and official territory codes), then the other scheme. A territory code
belongs to country PE unless written "CL:13101" / "PY:0101" or the row names its country.

The mapping file (JSON):
    {"orgUnits": {"O6uvpzGd5pu": "080101"},
     "dataElements": {"uid-or-code": "MINKA_CODE"},
     "categoryOptionCombos": {"uid": "FEMALE|RURAL"}}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from minka.indicators.importers.dhis2_metadata import DEFAULT_COC_UIDS, minka_code
from minka.indicators.models import COMBINATION_SEPARATOR, Combination, DataElement
from minka.indicators.services import combination_key, element_combination_keys
from minka.territories.models import Territory, TerritoryAlias

DEFAULT_COUNTRY = "PE"
COUNTRIES = frozenset({"PE", "CL", "PY"})
MAPPING_KEYS = ("orgUnits", "dataElements", "categoryOptionCombos")
_CHUNK = 500
_DEFAULT_COMBINATIONS = frozenset({"", "default", *DEFAULT_COC_UIDS})


def mapping_problems(mapping: Any) -> list[str]:
    """What is wrong with a mapping (English, for the MK1003 conflict); [] when sound."""
    if mapping is None:
        return []
    if not isinstance(mapping, dict):
        return ["the mapping must be a JSON object"]
    problems = [f"unknown key {key!r}" for key in mapping if key not in MAPPING_KEYS]
    for key in MAPPING_KEYS:
        section = mapping.get(key, {})
        if not isinstance(section, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in section.items()
        ):
            problems.append(f"{key} must map text to text")
    return problems


def split_country(text: str, country: str = "") -> tuple[str, str]:
    """("CL", "13101") from "CL:13101"; otherwise the row's country, or PE."""
    if ":" in text:
        prefix, code = text.split(":", 1)
        if prefix.upper() in COUNTRIES:
            return prefix.upper(), code.strip()
    return (country or DEFAULT_COUNTRY).upper(), text.strip()


class Resolver:
    """Looks identifiers up in bulk and remembers the answers (one import, one resolver)."""

    def __init__(
        self,
        *,
        mapping: Mapping[str, Mapping[str, str]] | None,
        id_scheme: str,
        extra_elements: Iterable[DataElement] = (),
    ) -> None:
        mapping = mapping or {}
        self.org_unit_map = dict(mapping.get("orgUnits", {}))
        self.element_map = dict(mapping.get("dataElements", {}))
        self.combination_map = dict(mapping.get("categoryOptionCombos", {}))
        self.by_uid = id_scheme == "uid"
        elements = list(DataElement.objects.all())
        elements += [e for e in extra_elements if e.code not in {x.code for x in elements}]
        self.elements_by_code = {e.code: e for e in elements}
        self.elements_by_uid = {e.uid: e for e in elements if e.uid}
        self.combinations_by_uid = dict(
            Combination.objects.exclude(uid="").values_list("uid", "key")
        )
        self.known_keys = set(Combination.objects.values_list("key", flat=True))
        self._keys: dict[str, frozenset[str]] = {}
        self._territories: dict[tuple[str, str], Territory | None] = {}
        self._aliases: dict[str, Territory | None] = {}

    # --- data elements -----------------------------------------------------------------

    def element(self, identifier: str) -> DataElement | None:
        mapped = self.element_map.get(identifier)
        if mapped is not None:
            return self.elements_by_code.get(mapped)
        by_code = self.elements_by_code.get(identifier) or self.elements_by_code.get(
            minka_code(identifier)
        )
        by_uid = self.elements_by_uid.get(identifier)
        return (by_uid or by_code) if self.by_uid else (by_code or by_uid)

    def combination_keys(self, element: DataElement) -> frozenset[str]:
        if element.pk is None:
            return frozenset({""})
        keys = self._keys.get(element.code)
        if keys is None:
            keys = self._keys[element.code] = frozenset(element_combination_keys(element))
        return keys

    # --- combinations ------------------------------------------------------------------

    def combination(self, identifier: str, keys: frozenset[str]) -> str | None:
        """The combination key an identifier names: one of the element's `keys` if it names
        one, else any known combination (the caller reports it as not the element's), else
        None (unknown)."""
        if identifier in self.combination_map:
            return _canonical(self.combination_map[identifier])
        if identifier in _DEFAULT_COMBINATIONS:
            return ""
        by_uid = self.combinations_by_uid.get(identifier)
        by_key = _canonical(identifier)
        candidates = [by_uid, by_key] if self.by_uid else [by_key, by_uid]
        for candidate in candidates:
            if candidate is not None and candidate in keys:
                return candidate
        for candidate in candidates:
            if candidate is not None and candidate in self.known_keys:
                return candidate
        return None

    # --- territories -------------------------------------------------------------------

    def territories_prefetch(self, identifiers: Iterable[tuple[str, str]]) -> None:
        """Read the territories of (identifier, row country) pairs in a few queries."""
        wanted_codes: set[tuple[str, str]] = set()
        wanted_aliases: set[str] = set()
        for identifier, country in identifiers:
            mapped = self.org_unit_map.get(identifier)
            wanted_codes.add(split_country(mapped if mapped is not None else identifier, country))
            wanted_aliases.add(identifier)
        wanted_codes -= set(self._territories)
        wanted_aliases -= set(self._aliases)
        by_country: dict[str, list[str]] = {}
        for country, code in wanted_codes:
            by_country.setdefault(country, []).append(code)
            self._territories[(country, code)] = None
        for country, codes in by_country.items():
            for start in range(0, len(codes), _CHUNK):
                for territory in Territory.objects.filter(
                    country=country, code__in=codes[start:start + _CHUNK]
                ):
                    self._territories[(country, territory.code)] = territory
        aliases = sorted(wanted_aliases)
        for code in aliases:
            self._aliases[code] = None
        for start in range(0, len(aliases), _CHUNK):
            for alias in TerritoryAlias.objects.filter(
                scheme=TerritoryAlias.Scheme.DHIS2, code__in=aliases[start:start + _CHUNK]
            ).select_related("territory"):
                self._aliases[alias.code] = alias.territory

    def territory(self, identifier: str, country: str = "") -> Territory | None:
        mapped = self.org_unit_map.get(identifier)
        if mapped is not None:
            return self._territory_by_code(*split_country(mapped, country))
        by_alias = self._alias(identifier)
        by_code = self._territory_by_code(*split_country(identifier, country))
        return (by_alias or by_code) if self.by_uid else (by_code or by_alias)

    def _alias(self, identifier: str) -> Territory | None:
        if identifier not in self._aliases:
            self.territories_prefetch([(identifier, "")])
        return self._aliases.get(identifier)

    def _territory_by_code(self, country: str, code: str) -> Territory | None:
        if (country, code) not in self._territories:
            found = Territory.objects.filter(country=country, code=code).first()
            self._territories[(country, code)] = found
        return self._territories[(country, code)]


def _canonical(text: str) -> str:
    if text.strip() in _DEFAULT_COMBINATIONS:
        return ""
    return combination_key(part.strip() for part in text.split(COMBINATION_SEPARATOR))
