"""Imports from a page (upload → dry run as a job → progress → report → confirm) and the
templates people fill in for them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from minka.indicators import selectors
from minka.indicators.forms import ImportForm, TemplateForm
from minka.indicators.import_jobs import (
    import_confirm,
    import_confirmable,
    import_options,
    import_start,
    progress_key,
)
from minka.indicators.models import ImportBatch, QualityFlag
from minka.indicators.page_selectors import (
    changeable_territories,
    district_descendants,
    import_batch_confirmation,
    may_derive_targets,
    may_import,
    user_home_territories,
)
from minka.indicators.views.common import signed_in
from minka.jobs import job_progress_get
from minka.territories.models import Level

RECENT_BATCHES = 20
FINISHED = {
    ImportBatch.Status.CHECKED,
    ImportBatch.Status.APPLIED,
    ImportBatch.Status.REFUSED,
    ImportBatch.Status.FAILED,
}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _require_import(request: HttpRequest) -> None:
    if not may_import(user=request.user):
        raise PermissionDenied(
            _("Only people who may change the data of some territory can import.")
        )


def _batch_or_404(request: HttpRequest, pk: int) -> ImportBatch:
    batch = selectors.import_batch_get(pk=pk, user=request.user)
    if batch is None:
        raise Http404(_("There is no import %(id)s.") % {"id": pk})
    return batch


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    """The upload form and the user's recent imports. A POST stores the file and starts
    its dry run; the next page follows it."""
    _require_import(request)
    user = signed_in(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        batch = import_start(
            content=upload.read(),
            file_name=upload.name or "",
            format=form.cleaned_data["format"],
            user=user,
            id_scheme=form.cleaned_data["id_scheme"],
            mapping=form.cleaned_data["mapping"],
        )
        return redirect("indicators:import_batch", batch.pk)
    recent = selectors.import_batch_list(user=user).filter(created_by=user)[:RECENT_BATCHES]
    return render(
        request,
        "indicators/import.html",
        {"form": form, "recent": recent},
        status=400 if form.errors else 200,
    )


def batch_progress(batch: ImportBatch) -> dict[str, Any]:
    """Where a batch is: from the job in this process if it is running here, else its row."""
    finished = batch.status in FINISHED
    done, total = batch.rows_done, batch.rows_total
    live = None if finished else job_progress_get(key=progress_key(batch.pk))
    if live is not None:
        done, total = live.done, live.total
    if finished and total:
        done = total
    return {
        "id": batch.pk,
        "status": batch.status,
        "status_label": str(batch.get_status_display()),
        "rows_done": done,
        "rows_total": total,
        "percent": round(100 * done / total) if total else (100 if finished else 0),
        "finished": finished,
    }


@never_cache
@login_required
@require_GET
def import_batch_page(request: HttpRequest, pk: int) -> HttpResponse:
    """While the job runs: a progress bar (polled by script, or a page that reloads itself
    without one). Once it has finished: its report, and "Confirm import" after a clean dry
    run."""
    batch = _batch_or_404(request, pk)
    summary = batch.summary or {}
    progress = batch_progress(batch)
    confirmation = import_batch_confirmation(checked=batch) if batch.dry_run else None
    options = import_options(batch)
    return render(
        request,
        "indicators/import_batch.html",
        {
            "batch": batch,
            "progress": progress,
            "summary": summary,
            "import_count": summary.get("importCount") or {},
            "conflicts": summary.get("conflicts") or [],
            "warnings": _warnings(summary),
            "warnings_total": summary.get("warningsTotal") or 0,
            "file_notes": summary.get("fileNotes") or [],
            "has_flags": batch.flags.exists(),
            "confirmable": progress["finished"]
            and import_confirmable(checked=batch, user=request.user) is None,
            "confirmation": confirmation,
            "confirms": options.get("confirms"),
            "status_url": reverse("indicators:import_status", args=[batch.pk]),
            # the script fills it in as the job advances (same words as the page's own)
            "progress_template": _("%(done)s of %(total)s rows · %(status)s"),
        },
    )


def _warnings(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary's warnings, each with its kind named in the user's language."""
    kinds = {value: str(label) for value, label in QualityFlag.Kind.choices}
    warnings = summary.get("warnings") or []
    return [
        {**warning, "kind_label": kinds.get(str(warning.get("kind")), warning.get("kind", ""))}
        for warning in warnings
        if isinstance(warning, dict)
    ]


@never_cache
@login_required
@require_GET
def import_batch_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The progress of an import as JSON, for the progress bar's script."""
    batch = _batch_or_404(request, pk)
    return JsonResponse(batch_progress(batch))


@login_required
@require_POST
def import_batch_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Import for real the file a clean dry run checked (the stored bytes, not a new upload)."""
    _require_import(request)
    checked = _batch_or_404(request, pk)
    try:
        batch = import_confirm(checked=checked, user=signed_in(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("indicators:import_batch", checked.pk)
    return redirect("indicators:import_batch", batch.pk)


@login_required
@require_GET
def template_page(request: HttpRequest) -> HttpResponse:
    """Choose data elements, a territory and periods; the answer is the file to fill in."""
    _require_import(request)
    from minka.indicators.imports import template_build

    user = signed_in(request)
    territories = changeable_territories(user=user)
    allow_districts = may_derive_targets(user=user)
    homes = user_home_territories(user=user)
    form = TemplateForm(
        request.GET if "elements" in request.GET else None,
        initial={"territory": homes[0].pk if homes else None},
        elements=selectors.data_element_list(),
        territories=territories,
        allow_districts=allow_districts,
    )
    if not form.is_bound or not form.is_valid():
        return render(
            request,
            "indicators/template.html",
            {"form": form},
            status=400 if form.errors else 200,
        )
    data = form.cleaned_data
    territory = data["territory"]
    chosen = [territory]
    if data.get("include_districts") and territory.level != Level.DISTRICT:
        chosen += list(district_descendants(territory=territory))
    content = template_build(
        elements=list(data["elements"]),
        territories=chosen,
        periods=data["periods"],
        format=data["format"],
    )
    response = HttpResponse(content, content_type=CONTENT_TYPES[data["format"]])
    file_name = f"plantilla-{territory.code}-{data['periods'][0]}-{data['periods'][-1]}"
    response["Content-Disposition"] = f'attachment; filename="{file_name}.{data["format"]}"'
    return response
