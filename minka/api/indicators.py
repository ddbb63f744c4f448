"""/indicators, /data-elements and /data-values/import: the catalogue, results, imports.

Who sees what:
- the public sees published indicator sheets and their results; an unpublished one is a
  404 exactly like an unknown code, in the list, the sheet, the values and the sources;
- any signed-in role (VIEW_INTERNAL) sees every sheet, and the data values behind a figure
  (raw values of a municipality are internal);
- importing needs a bearer token and a role that may change some territory; the import
  service then checks every row against the territory it writes.

Input that cannot be understood (an unknown level, a bad period, an unknown breakdown, an
unreadable file) is a 400 with a sentence saying what is wrong, never a 500.
"""

# No `from __future__ import annotations`: ninja reads these signatures at import time.

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Path, Query, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.files import UploadedFile
from ninja.pagination import paginate

from minka.analytics.engine.periods import (
    Period,
    PeriodError,
    PeriodType,
    period_parse,
    period_range,
)
from minka.analytics.engine.store import StoreBusy
from minka.analytics.selectors import (
    ResultRow,
    analytics_last_refresh,
    data_values_by_ids,
    figure_source_ids,
    indicator_values,
)
from minka.api.auth import READ_AUTH, WRITE_AUTH, actor
from minka.api.indicator_schemas import (
    DataElementOut,
    DataValuePageOut,
    ImportErrorOut,
    ImportSummaryOut,
    IndicatorDetailOut,
    IndicatorOut,
    IndicatorValuesOut,
)
from minka.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, Pages
from minka.api.schemas import CODE, COUNTRY, TEXT, ErrorOut, InvalidOut
from minka.indicators.models import DataElement, ImportBatch, IndicatorSheet
from minka.indicators.selectors import (
    data_element_list,
    indicator_breakdowns,
    indicator_sheet_list,
    indicator_sheet_or_404,
    public_until,
    sees_internal,
    target_list,
)
from minka.territories.models import LEVEL_DEPTH, Level, Territory
from minka.territories.selectors import territory_or_404

router = Router(tags=["indicators"])

# One request covers at most this many periods (twenty years of months is 240).
MAX_PERIODS = 400
# The largest file an import through the API accepts.
MAX_IMPORT_BYTES = 50 * 1024 * 1024
# Coarse to fine: results exist at an indicator's frequency and every coarser type.
_TYPE_ORDER = [
    PeriodType.YEARLY,
    PeriodType.SIXMONTHLY,
    PeriodType.QUARTERLY,
    PeriodType.MONTHLY,
    PeriodType.WEEKLY,
]
_IMPORT_FORMATS = [
    ImportBatch.Format.CSV,
    ImportBatch.Format.XLSX,
    ImportBatch.Format.DHIS2_JSON,
    ImportBatch.Format.DHIS2_CSV,
    ImportBatch.Format.UBIGEO,
]


# --- the catalogue --------------------------------------------------------------------


@router.get(
    "/indicators",
    auth=READ_AUTH,
    response={200: list[IndicatorOut], 401: ErrorOut, 422: InvalidOut},
    summary="List indicator sheets (published ones for the public)",
)
@paginate(Pages)
def indicators(request: HttpRequest) -> QuerySet[IndicatorSheet]:
    return indicator_sheet_list(user=actor(request))


@router.get(
    "/indicators/{code}",
    auth=READ_AUTH,
    response={200: IndicatorDetailOut, 401: ErrorOut, 404: ErrorOut, 422: InvalidOut},
    summary="One indicator sheet (ficha técnica) with its targets and baselines",
)
def indicator(
    request: HttpRequest, code: str = Path(..., max_length=50, pattern=CODE)
) -> dict[str, Any]:
    sheet = indicator_sheet_or_404(code=code, user=actor(request))
    return {
        **{name: getattr(sheet, name) for name in IndicatorOut.model_fields},
        "tolerance": float(sheet.tolerance),
        "breakdowns": indicator_breakdowns(indicator=sheet),
        "targets": list(target_list(indicator=sheet)),
    }


@router.get(
    "/data-elements",
    auth=READ_AUTH,
    response={200: list[DataElementOut], 401: ErrorOut, 422: InvalidOut},
    summary="List data elements with their disaggregations",
)
@paginate(Pages)
def data_elements(request: HttpRequest) -> QuerySet[DataElement]:
    return data_element_list()


# --- results --------------------------------------------------------------------------


def _territory(reference: str, country: str | None) -> Territory:
    """"08", "080000" or "PE:08" (or `country`): the territory, or a 404 saying which."""
    prefix, sep, code = reference.partition(":")
    if sep:
        country = prefix
    else:
        code = reference
    if country:
        return territory_or_404(country=country, code=code)
    matches = list(Territory.objects.filter(code=code.strip())[:2])
    if not matches:
        # Peru's padded six-digit form ("080000") needs the country to be normalised.
        return territory_or_404(country="PE", code=code)
    if len(matches) > 1:
        raise HttpError(
            400,
            _("The code %(code)s exists in several countries: add country=…")
            % {"code": code},
        )
    return matches[0]


def _level(level: str | None, territory: Territory) -> str | None:
    if not level:
        return None
    if level not in Level.values:
        raise HttpError(
            400,
            _("Unknown level %(level)s; use one of: %(levels)s.")
            % {"level": level, "levels": ", ".join(Level.values)},
        )
    if LEVEL_DEPTH[Level(level)] <= LEVEL_DEPTH[Level(territory.level)]:
        raise HttpError(
            400,
            _("The level must be below the territory's (%(level)s).")
            % {"level": territory.get_level_display()},
        )
    return level


def _one_period(text: str) -> Period:
    try:
        if len(text) > 40:
            raise PeriodError("too long", text=text[:40])
        return period_parse(text.strip())
    except PeriodError as error:
        raise HttpError(
            400,
            _("%(period)s is not a period: use 2023, 2023S1, 2023Q3, 202307 or 2023W5.")
            % {"period": text},
        ) from error


def _periods(values: list[str], sheet: IndicatorSheet) -> list[str]:
    """`period` repeated and/or as ranges `2015:2024`, as canonical ids, in order."""
    if not values:
        raise HttpError(400, _("Give at least one period, e.g. period=2023 or period=2015:2024."))
    if len(values) > MAX_PERIODS:
        raise HttpError(
            400, _("Ask for at most %(count)s periods at a time.") % {"count": MAX_PERIODS}
        )
    found: list[Period] = []
    for value in values:
        start, sep, end = value.partition(":")
        if not sep:
            found.append(_one_period(value))
            continue
        first, last = _one_period(start), _one_period(end)
        if first.type != last.type:
            raise HttpError(
                400, _("A period range needs two periods of the same type: %(range)s.")
                % {"range": value},
            )
        if last < first:
            raise HttpError(
                400, _("The period range %(range)s ends before it starts.") % {"range": value}
            )
        try:
            found.extend(period_range(first, last))
        except PeriodError as error:  # pragma: no cover - types and order checked above
            raise HttpError(400, str(error)) from error
        if len(found) > MAX_PERIODS:
            break
    if len(found) > MAX_PERIODS:
        raise HttpError(
            400, _("Ask for at most %(count)s periods at a time.") % {"count": MAX_PERIODS}
        )
    frequency = PeriodType(sheet.frequency)
    for period in found:
        if _TYPE_ORDER.index(period.type) > _TYPE_ORDER.index(frequency):
            raise HttpError(
                400,
                _("%(code)s is computed %(frequency)s: %(period)s is a finer period.")
                % {
                    "code": sheet.code,
                    "frequency": sheet.get_frequency_display().lower(),
                    "period": period.id,
                },
            )
    return [p.id for p in sorted(set(found))]


def _breakdown(breakdown: str, sheet: IndicatorSheet) -> str:
    breakdown = breakdown.strip()
    if not breakdown:
        return ""
    options = indicator_breakdowns(indicator=sheet)
    if breakdown not in options:
        raise HttpError(
            400,
            _("%(code)s has no breakdown %(breakdown)s; use one of: %(options)s.")
            % {
                "code": sheet.code,
                "breakdown": breakdown,
                "options": ", ".join(options) or _("none (it has no disaggregations)"),
            },
        )
    return breakdown


def _value_out(row: ResultRow) -> dict[str, Any]:
    return {
        "territory": {
            "code": row.territory_code,
            "name": row.territory_name,
            "level": row.territory_level,
        },
        "period": row.period,
        "value": row.value,
        "numerator": row.numerator,
        "denominator": row.denominator,
        "reason": row.reason,
        "target": row.target,
        "target_period": row.target_period,
        "status": row.status,
        "trend": {
            "slope": row.trend_slope,
            "forecast": row.forecast,
            "meets_target": row.forecast_meets_target,
        },
        "change_previous": row.change_previous,
        "change_base": row.change_base,
        "rank": row.rank,
        "rank_of": row.rank_of,
        "completeness": {
            "reported": row.reported_children,
            "expected": row.expected_children,
        },
        "from_successors": row.from_successors,
    }


def _store_busy() -> HttpError:
    return HttpError(503, _("The figures are being updated; try again in a few seconds."))


@router.get(
    "/indicators/{code}/values",
    auth=READ_AUTH,
    response={
        200: IndicatorValuesOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: InvalidOut,
        503: ErrorOut,
    },
    summary="An indicator's figures for a territory or its children at a level",
)
def indicator_values_read(
    request: HttpRequest,
    code: str = Path(..., max_length=50, pattern=CODE),
    territory: str = Query(
        ..., max_length=24, pattern=TEXT,
        description="A territory code (08, 080000, or COUNTRY:CODE such as PE:08).",
    ),
    country: str | None = Query(None, pattern=COUNTRY, description="ISO 3166-1, e.g. PE."),
    level: str | None = Query(
        None, max_length=16, pattern=TEXT,
        description="Figures of the territories at this level under `territory` "
        "(region, province, district, locality); without it, the territory's own.",
    ),
    period: list[str] | None = Query(  # noqa: B008
        None,
        description="Repeat for several (period=2023&period=2022) or give a range 2015:2024.",
    ),
    breakdown: str = Query(
        "", max_length=50, pattern=TEXT,
        description="A disaggregation option code (FEMALE); empty for the total.",
    ),
) -> dict[str, Any]:
    sheet = indicator_sheet_or_404(code=code, user=actor(request))
    place = _territory(territory, country)
    chosen_level = _level(level, place)
    periods = _periods(period or [], sheet)
    chosen_breakdown = _breakdown(breakdown, sheet)
    try:
        rows = indicator_values(
            indicator=sheet, territory=place, level=chosen_level, periods=periods,
            breakdown=chosen_breakdown, until=public_until(sheet=sheet, user=actor(request)),
        )
    except StoreBusy as error:
        raise _store_busy() from error
    refresh = analytics_last_refresh(successful=True)
    return {
        "indicator": sheet.code,
        "name": sheet.name,
        "unit": sheet.unit,
        "decimals": sheet.decimals,
        "polarity": sheet.polarity,
        "territory": place,
        "level": chosen_level,
        "breakdown": chosen_breakdown,
        "periods": periods,
        "refreshed_at": refresh.finished_at if refresh else None,
        "results": [_value_out(row) for row in rows],
    }


class SourcePages(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(
        DEFAULT_PAGE_SIZE, ge=1,
        description=f"Default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}.",
    )


@router.get(
    "/indicators/{code}/values/{territory}/{period}/sources",
    auth=READ_AUTH,
    response={
        200: DataValuePageOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
        422: InvalidOut, 503: ErrorOut,
    },
    summary="The data values behind one figure (internal: needs a signed-in role)",
)
def indicator_value_sources(
    request: HttpRequest,
    code: str = Path(..., max_length=50, pattern=CODE),
    territory: str = Path(..., max_length=24, pattern=TEXT),
    period: str = Path(..., max_length=20, pattern=CODE),
    country: str | None = Query(None, pattern=COUNTRY),
    breakdown: str = Query("", max_length=50, pattern=TEXT),
    pages: SourcePages = Query(...),  # noqa: B008
) -> dict[str, Any]:
    """Raw values are internal, so the public is refused before anything is looked up:
    the answer is the same for every code, and says nothing of unpublished indicators."""
    user = actor(request)
    if not getattr(user, "is_authenticated", False):
        raise AuthenticationError()
    if not sees_internal(user):
        raise PermissionDenied(_("The data values behind a figure are internal."))
    sheet = indicator_sheet_or_404(code=code, user=user)
    place = _territory(territory, country)
    canonical = _one_period(period).id
    chosen_breakdown = _breakdown(breakdown, sheet)
    try:
        ids = figure_source_ids(
            indicator=sheet, territory=place, period=canonical, breakdown=chosen_breakdown
        )
    except StoreBusy as error:
        raise _store_busy() from error
    size = min(pages.page_size, MAX_PAGE_SIZE)
    start = (pages.page - 1) * size
    return {"items": data_values_by_ids(ids[start : start + size]), "count": len(ids)}


# --- imports --------------------------------------------------------------------------


def _read_upload(upload: UploadedFile, what: str) -> bytes:
    if upload.size is not None and upload.size > MAX_IMPORT_BYTES:
        raise HttpError(
            400,
            _("The %(what)s is larger than %(size)s MB.")
            % {"what": what, "size": MAX_IMPORT_BYTES // (1024 * 1024)},
        )
    content: bytes = upload.read()
    return content


def _mapping(upload: UploadedFile | None) -> dict[str, Any] | None:
    if upload is None:
        return None
    try:
        mapping = json.loads(_read_upload(upload, _("mapping file")).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HttpError(400, _("The mapping file is not valid JSON.")) from error
    if not isinstance(mapping, dict):
        raise HttpError(400, _("The mapping file must hold a JSON object."))
    return mapping


UNREADABLE = "MK1000"  # values_import's conflict code for "the file cannot be read"
_STRATEGIES = ("CREATE_AND_UPDATE", "DELETE")


def _unreadable(batch: ImportBatch) -> bool:
    """A refusal because nothing in the file could be read (not a row-level conflict)."""
    conflicts = (batch.summary or {}).get("conflicts") or []
    return batch.rows_total == 0 and any(c.get("errorCode") == UNREADABLE for c in conflicts)


@router.post(
    "/data-values/import",
    auth=WRITE_AUTH,
    response={
        200: ImportSummaryOut, 400: ImportErrorOut, 401: ErrorOut, 403: ErrorOut,
        409: ImportSummaryOut, 422: InvalidOut,
    },
    summary="Import data values (CSV/Excel template, DHIS2 dataValueSets JSON or CSV)",
)
def data_values_import(
    request: HttpRequest,
    file: UploadedFile = File(..., description="The data file."),  # noqa: B008
    format: str = Form(
        ..., max_length=20, pattern=TEXT,
        description="csv, xlsx, dhis2-json, dhis2-csv or ubigeo.",
    ),
    dry_run: bool = Form(
        False, alias="dryRun",
        description="Check everything and report, writing nothing (DHIS2's default: false).",
    ),
    id_scheme: str = Form(
        "code", alias="idScheme", max_length=20, pattern=TEXT,
        description="How the file names elements and territories: code or uid (DHIS2).",
    ),
    import_strategy: str = Form(
        "CREATE_AND_UPDATE", alias="importStrategy", max_length=20, pattern=TEXT,
        description="CREATE_AND_UPDATE, or DELETE to delete every value the file names.",
    ),
    mapping: UploadedFile | None = File(  # noqa: B008
        None, description="Optional JSON: the file's codes mapped to Minka's."
    ),
) -> Status[dict[str, Any]]:
    """All or nothing, as every import: 200 with DHIS2's summary when it was imported (or,
    with dryRun, when it would be), 409 with the same summary and its conflicts (row,
    column, value, reason) when it was refused, 400 when the file cannot be read at all.

    `dryRun` defaults to false as in DHIS2's `dataValueSets`, so a script written against
    DHIS2 behaves the same here; a person checking a file first sends dryRun=true (the
    pages always do a dry run first). A real import refreshes the analytics once it is
    committed (values_import schedules it), so the new figures show within seconds.
    """
    from minka.indicators.imports import values_import
    from minka.indicators.page_selectors import may_import

    user = actor(request)
    if not may_import(user=user):
        raise PermissionDenied(_("You may not import data values."))
    if format not in _IMPORT_FORMATS:
        raise HttpError(
            400,
            _("Unknown format %(format)s; use one of: %(formats)s.")
            % {"format": format, "formats": ", ".join(_IMPORT_FORMATS)},
        )
    if id_scheme.lower() not in ("code", "uid"):
        raise HttpError(400, _("Unknown idScheme %(scheme)s; use code or uid.")
                        % {"scheme": id_scheme})
    if import_strategy.upper() not in _STRATEGIES:
        raise HttpError(
            400,
            _("Unknown importStrategy %(strategy)s; use one of: %(strategies)s.")
            % {"strategy": import_strategy, "strategies": ", ".join(_STRATEGIES)},
        )
    content = _read_upload(file, _("data file"))
    if not content:
        raise HttpError(400, _("The file is empty."))
    batch = values_import(
        content=content,
        file_name=file.name or "",
        format=format,
        dry_run=dry_run,
        user=user,
        mapping=_mapping(mapping),
        id_scheme=id_scheme.lower(),
        strategy=import_strategy.upper(),
    )
    summary = {**(batch.summary or {}), "batch": batch.pk, "dryRun": batch.dry_run}
    summary.setdefault("status", "ERROR")
    summary.setdefault("importCount", {})
    summary.setdefault("conflicts", [])
    if _unreadable(batch):
        detail = _("The file could not be read as %(format)s.") % {"format": format}
        return Status(400, {**summary, "detail": detail})
    if batch.status in (ImportBatch.Status.REFUSED, ImportBatch.Status.FAILED):
        return Status(409, summary)
    return Status(200, summary)
