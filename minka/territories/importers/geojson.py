"""Territory outlines from a GeoJSON FeatureCollection, matched by a code property.

Geometries are kept as they come (WGS 84 per RFC 7946); only their shape is checked. A
feature without geometry is a warning (the INEI 2007 district file has eight), not an error:
the other outlines are still worth having. A territory split across several features (the
provincial file has two such) is joined into one MultiPolygon, with a warning.
JSON gives no line for a feature, so issues name the feature's position ("feature 12").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from minka.territories.importers.checks import in_reading_order, where
from minka.territories.importers.csvfile import text_read
from minka.territories.importers.issues import Issue, Origin
from minka.territories.importers.rows import BoundaryFeature, Parsed

GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                  "MultiPolygon", "GeometryCollection"}
AREAL = {"Polygon", "MultiPolygon"}
NAME_PROPERTIES = ("NOMBDIST", "NOMBPROV", "NOMBDEP", "name", "nombre", "NAME")


def boundaries_parse(path: Path, *, code_field: str) -> Parsed[BoundaryFeature]:
    """One feature per code, with geometry; what is wrong or skipped is in the issues."""
    result: Parsed[BoundaryFeature] = Parsed()
    text, result.issues = text_read(path)
    if text is None:
        return result
    file = Origin(file=path.name)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        at = Origin(file=path.name, line=exc.lineno, column=str(exc.colno))
        result.issues.append(at.error("invalid_json", detail=exc.msg))
        return result
    features = document.get("features") if isinstance(document, dict) else None
    if not (isinstance(document, dict) and document.get("type") == "FeatureCollection"
            and isinstance(features, list)):
        found = document.get("type") if isinstance(document, dict) else type(document).__name__
        result.issues.append(file.error("not_feature_collection", found=str(found)))
        return result
    if features and not any(_has(f, code_field) for f in features):
        first = features[0].get("properties") if isinstance(features[0], dict) else None
        found = ", ".join(first) if isinstance(first, dict) else "-"
        result.issues.append(file.error("code_field_absent", column=code_field, found=found))
        return result
    by_code: dict[str, BoundaryFeature] = {}
    parts: dict[str, int] = {}
    for position, feature in enumerate(features, start=1):
        origin = Origin(file=path.name, feature=position, column=code_field)
        parsed = _feature(feature, origin, code_field, result.issues)
        if parsed is None:
            continue
        first = by_code.get(parsed.code)
        if first is None:
            by_code[parsed.code], parts[parsed.code] = parsed, 1
            continue
        joined = _join(first, parsed, origin, result.issues)
        if joined is not None:
            by_code[parsed.code] = joined
            parts[parsed.code] += 1
    for code, count in parts.items():
        if count > 1:
            origin = by_code[code].origin or file
            result.issues.append(origin.warning(
                "merged_parts", value=code, parts=count, first=where(origin)))
    result.rows = list(by_code.values())
    result.issues = in_reading_order(result.issues)
    return result


def _has(feature: Any, code_field: str) -> bool:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    return isinstance(properties, dict) and code_field in properties


def _feature(
    feature: Any, origin: Origin, code_field: str, issues: list[Issue]
) -> BoundaryFeature | None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        issues.append(origin.error("invalid_feature", column=""))
        return None
    properties = feature.get("properties")
    if not isinstance(properties, dict) or code_field not in properties:
        issues.append(origin.error("missing_code_field"))
        return None
    raw = properties[code_field]
    code = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    if not code:
        issues.append(origin.error("required", value=raw))
        return None
    name = next((str(properties[p]) for p in NAME_PROPERTIES if properties.get(p)), "")
    geometry = feature.get("geometry")
    if geometry is None or (isinstance(geometry, dict) and _is_empty(geometry)):
        issues.append(origin.warning("no_geometry", value=code))
        return None
    problem = geometry_problem(geometry)
    if problem:
        issues.append(origin.error("invalid_geometry", column="geometry", value=code,
                                   detail=problem))
        return None
    return BoundaryFeature(code=code, geometry=geometry, name=name, origin=origin)


def _is_empty(geometry: dict[str, Any]) -> bool:
    if geometry.get("type") == "GeometryCollection":
        return not geometry.get("geometries")
    return "coordinates" in geometry and not geometry["coordinates"]


def geometry_problem(geometry: Any) -> str:
    """"" for a well-formed geometry object, otherwise what is wrong with it."""
    if not isinstance(geometry, dict):
        return f"a {type(geometry).__name__} instead of an object"
    kind = geometry.get("type")
    if kind not in GEOMETRY_TYPES:
        return f"unknown type {kind!r}"
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list):
            return "no geometries list"
        return next((p for p in map(geometry_problem, members) if p), "")
    if not isinstance(geometry.get("coordinates"), list):
        return "no coordinates list"
    return ""


def _join(
    first: BoundaryFeature, other: BoundaryFeature, origin: Origin, issues: list[Issue]
) -> BoundaryFeature | None:
    if first.geometry["type"] not in AREAL or other.geometry["type"] not in AREAL:
        issues.append(origin.error(
            "duplicate_code", value=other.code, first=where(first.origin or origin)))
        return None
    polygons = [*_polygons(first.geometry), *_polygons(other.geometry)]
    return BoundaryFeature(
        code=first.code, geometry={"type": "MultiPolygon", "coordinates": polygons},
        name=first.name, origin=first.origin,
    )


def _polygons(geometry: dict[str, Any]) -> list[Any]:
    coordinates = geometry["coordinates"]
    return [coordinates] if geometry["type"] == "Polygon" else list(coordinates)
