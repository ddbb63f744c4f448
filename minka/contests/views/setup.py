"""The coordinator's set-up pages, everything before registration: a new contest and its
first edition, another edition, the calendar and the verification cuts, the rules as
numbered versions with a simulation of the awards, and opening registration (which
freezes the rules).

Only the contest's coordinators (the contest's territory decides, `services.
require_coordinator_of`) reach them; anyone else gets 403. Every write goes through one of
`services.editions` (which checks, audits and refuses with a reason), and a refused form
is shown again with the reasons and status 400, having changed nothing. Thin: parse, call
the service, render.
"""

from __future__ import annotations

import json
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from minka.accounts.permissions import Action, has_permission
from minka.contests import services
from minka.contests.calendar import PHASE_ORDER, deadline_passed
from minka.contests.engine.awards import Allocation, Award, awards_allocate
from minka.contests.engine.files import rules_parse, scores_parse
from minka.contests.engine.model import Rules
from minka.contests.engine.scoring import Ranking, ranking_build
from minka.contests.forms_setup import (
    ContestCreateForm,
    CutForm,
    EditionForm,
    PhaseForm,
    RulesForm,
    SimulationForm,
    soles_text,
)
from minka.contests.models import Contest, Cut, Edition, Phase, RulesVersion
from minka.contests.views.common import coordinator_edition, page
from minka.form_submit import form_submit
from minka.territories.models import Level, Territory

# --- a contest and its editions -----------------------------------------------------------


def _coordinated_territories(user: Any) -> list[Territory]:
    """The regions (and countries) whose seals the user may run: the ones the permission
    check lets them change. A contest belongs to a regional or national government."""
    candidates = Territory.objects.filter(
        level__in=[Level.COUNTRY, Level.REGION], valid_to__isnull=True
    ).order_by("path")
    return [t for t in candidates if has_permission(user, Action.CHANGE, t)]


@login_required
@require_http_methods(["GET", "POST"])
def contest_create_page(request: HttpRequest) -> HttpResponse:
    territories = _coordinated_territories(request.user)
    if not territories:
        raise PermissionDenied(_("Only coordinators create seal contests."))
    form = ContestCreateForm(request.POST or None, territories=territories)

    def save(data: dict[str, Any]) -> HttpResponse:
        # One page, two services: the contest is not kept if its edition is refused.
        with transaction.atomic():
            contest = services.contest_create(
                code=data["code"],
                name_es=data["name_es"],
                name_en=data["name_en"],
                territory=data["territory"],
            )
            edition = _edition_create(contest, data, request.user)
        messages.success(
            request,
            _("%(contest)s and its %(year)s edition are created: now set the calendar.")
            % {"contest": contest.name, "year": edition.year},
        )
        return redirect("contests:schedule", contest.code, edition.year)

    def show(form: Any, status: int) -> HttpResponse:
        return page(request, "setup_contest.html", {"form": form}, status)

    return form_submit(request, form, save, show)


def _edition_create(contest: Contest, data: dict[str, Any], user: Any) -> Edition:
    return services.edition_create(
        contest=contest,
        year=data["year"],
        fund=data["fund"],
        legal_resolution=data["legal_resolution"],
        time_zone=data["time_zone"],
        appeal_days=data["appeal_days"],
        user=user,
    )


@login_required
@require_http_methods(["GET", "POST"])
def edition_create_page(request: HttpRequest, code: str) -> HttpResponse:
    contest = Contest.objects.select_related("territory").filter(code=code).first()
    if contest is None:
        raise Http404(_("There is no seal contest %(code)s.") % {"code": code})
    services.require_coordinator_of(request.user, contest)
    editions = list(contest.editions.order_by("-year"))
    latest = editions[0] if editions else None
    initial = (
        {}
        if latest is None
        else {
            "year": latest.year + 1,
            "fund": soles_text(latest.fund),
            "time_zone": latest.time_zone,
            "appeal_days": latest.appeal_days,
        }
    )
    form = EditionForm(request.POST or None, initial=initial)

    def save(data: dict[str, Any]) -> HttpResponse:
        edition = _edition_create(contest, data, request.user)
        messages.success(
            request,
            _("The %(year)s edition is created: now set the calendar.") % {"year": edition.year},
        )
        return redirect("contests:schedule", contest.code, edition.year)

    def show(form: Any, status: int) -> HttpResponse:
        return page(
            request,
            "setup_edition.html",
            {"contest": contest, "editions": editions, "form": form},
            status,
        )

    return form_submit(request, form, save, show)


# --- the calendar and the cuts ------------------------------------------------------------


@dataclass
class PhaseRow:
    kind: str
    label: str
    phase: Phase | None
    form: PhaseForm


@dataclass
class CutRow:
    cut: Cut
    form: CutForm | None  # None: the cut can no longer change, `fixed_because` says why
    fixed_because: str = ""


def _cut_fixed_because(cut: Cut, now: Any) -> str:
    """Why a cut can no longer change (the same two refusals as `services.cut_set`)."""
    if cut.readings_frozen_at is not None:
        return _("Its indicator readings are frozen: the cut can no longer change.")
    if deadline_passed(now, cut.evidence_deadline):
        return _("Its evidence deadline has passed: the cut can no longer change.")
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def schedule_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """The seven phases and the cuts, one small form each: a POST saves the one named by
    its `phase` (a phase kind) or `cut` (a cut's code, empty for a new cut) field."""
    edition = coordinator_edition(request, code, year)
    zone = zoneinfo.ZoneInfo(edition.time_zone)
    now = timezone.now()
    phases = {p.kind: p for p in edition.phases.all()}
    cuts = list(edition.cuts.order_by("evidence_deadline"))
    labels = dict(Phase._meta.get_field("kind").choices)  # type: ignore[arg-type]
    posted_phase = request.POST.get("phase") if request.method == "POST" else None
    posted_cut = request.POST.get("cut") if request.method == "POST" else None

    def phase_form(kind: str) -> PhaseForm:
        current = phases.get(kind)
        initial = (
            {} if current is None else {"starts_at": current.starts_at, "ends_at": current.ends_at}
        )
        data = request.POST if posted_phase == kind else None
        return PhaseForm(
            data, zone=zone, prefix=f"phase-{kind}", form_id=f"phase-{kind}", initial=initial
        )

    def cut_form(cut: Cut | None) -> CutForm:
        key = "" if cut is None else cut.code
        initial = (
            {}
            if cut is None
            else {
                "name": cut.name,
                "evaluation_date": cut.evaluation_date,
                "evidence_deadline": cut.evidence_deadline,
                "reply_days": cut.reply_days,
            }
        )
        return CutForm(
            request.POST if posted_cut == key else None,
            zone=zone,
            prefix=f"cut-{key or 'new'}",
            form_id=f"cut-{key or 'new'}",
            initial=initial,
            taken=[c.code for c in cuts],
            fixed_code=None if cut is None else cut.code,
        )

    phase_rows = [
        PhaseRow(kind.value, str(labels[kind.value]), phases.get(kind.value), phase_form(kind))
        for kind in PHASE_ORDER
    ]
    cut_rows = []
    for cut in cuts:
        fixed = _cut_fixed_because(cut, now)
        cut_rows.append(CutRow(cut, None if fixed else cut_form(cut), fixed))
    new_cut = cut_form(None)

    if posted_phase is not None:
        row = next((r for r in phase_rows if r.kind == posted_phase), None)
        if row is None:
            raise Http404(_("There is no such phase."))
        target: Any = row.form

        def save(data: dict[str, Any]) -> HttpResponse:
            services.phase_set(
                edition=edition,
                kind=row.kind,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                user=request.user,
            )
            messages.success(request, _("%(phase)s: dates saved.") % {"phase": row.label})
            return redirect("contests:schedule", code, year)

    elif posted_cut is not None:
        existing = next((c for c in cuts if c.code == posted_cut), None)
        if posted_cut and existing is None:
            raise Http404(_("There is no such cut."))
        fixed = "" if existing is None else _cut_fixed_because(existing, now)
        # A cut shown read-only is still posted to the service, which refuses it with its
        # reason: the page never decides alone what the calendar allows.
        target = (
            cut_form(existing)
            if fixed
            else next((r.form for r in cut_rows if r.cut == existing), new_cut)
        )

        def save(data: dict[str, Any]) -> HttpResponse:
            cut = services.cut_set(
                edition=edition,
                code=data["code"],
                name=data["name"],
                evaluation_date=data["evaluation_date"],
                evidence_deadline=data["evidence_deadline"],
                reply_days=data["reply_days"],
                user=request.user,
            )
            messages.success(request, _("%(cut)s saved.") % {"cut": cut.name})
            return redirect("contests:schedule", code, year)

    else:
        target = forms.Form(request.POST if request.method == "POST" else None)

        def save(data: dict[str, Any]) -> HttpResponse:  # a POST that names nothing
            raise ValidationError(_("Nothing to save."))

    def show(form: Any, status: int) -> HttpResponse:
        return page(
            request,
            "setup_schedule.html",
            {
                "edition": edition,
                "phase_rows": phase_rows,
                "cut_rows": cut_rows,
                "new_cut": new_cut,
                "refused": form if status != 200 else None,
            },
            status,
        )

    return form_submit(request, target, save, show)


# --- the rules --------------------------------------------------------------------------


def _readable(value: Any, indent: int = 0, width: int = 110) -> str:
    """JSON for people: a value that fits on a line stays on one line, a longer object or
    list puts one member per line. Numbers are written exactly as they were."""
    flat = _flat(value)
    if len(flat) + indent <= width or not isinstance(value, dict | list) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        members = [
            f"{pad}{json.dumps(key, ensure_ascii=False)}: {_readable(item, indent + 2, width)}"
            for key, item in value.items()
        ]
        return "{\n" + ",\n".join(members) + "\n" + " " * indent + "}"
    members = [f"{pad}{_readable(item, indent + 2, width)}" for item in value]
    return "[\n" + ",\n".join(members) + "\n" + " " * indent + "]"


def _flat(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        members = (f"{json.dumps(k, ensure_ascii=False)}: {_flat(v)}" for k, v in value.items())
        return "{" + ", ".join(members) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flat(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def rules_readable(document: str) -> str:
    """A stored RULES.json laid out for reading (as stored, should it not parse)."""
    try:
        return _readable(json.loads(document, parse_float=Decimal))
    except ValueError:
        return document


def _current_version(edition: Edition, versions: list[RulesVersion]) -> RulesVersion | None:
    """The version in force once registration opened, else the latest one."""
    if edition.rules_version_id is not None:
        return next((v for v in versions if v.pk == edition.rules_version_id), None)
    return versions[0] if versions else None


@login_required
@require_http_methods(["GET", "POST"])
def rules_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    edition = coordinator_edition(request, code, year)
    versions = list(edition.rules_versions.select_related("created_by").order_by("-number"))
    current = _current_version(edition, versions)
    form = RulesForm(request.POST or None, request.FILES or None)

    def save(data: dict[str, Any]) -> HttpResponse:
        version = services.rules_version_save(
            edition=edition, document=data["rules"], user=request.user, note=data["note"]
        )
        messages.success(
            request, _("Version %(number)s of the rules is saved.") % {"number": version.number}
        )
        return redirect("contests:rules", code, year)

    def show(form: Any, status: int) -> HttpResponse:
        return page(
            request,
            "setup_rules.html",
            {
                "edition": edition,
                "versions": versions,
                "current": current,
                "current_json": rules_readable(current.document) if current else "",
                "cut_codes": [c.code for c in edition.cuts.order_by("evidence_deadline")],
                "form": form,
            },
            status,
        )

    return form_submit(request, form, save, show)


@dataclass
class SimulatedCategory:
    code: str
    name: str
    description: str
    rows: list[dict[str, Any]]
    awards: list[Award]


def _simulation(rules: Rules, ranking: Ranking, allocation: Allocation) -> dict[str, Any]:
    """What `simulate_awards` prints, as data for a table per category."""
    language = "en" if (translation.get_language() or "es").startswith("en") else "es"
    components = [c.code for c in rules.components]
    categories = []
    for category in rules.categories:
        rows = [
            {
                "result": result,
                "scores": [result.component(c).score for c in components],
                "reasons": [reason.text(language) for reason in result.reasons],
            }
            for result in ranking.category(category.code)
        ]
        categories.append(
            SimulatedCategory(
                category.code,
                category.name,
                category.description,
                rows,
                [a for a in allocation.awards if a.category == category.code],
            )
        )
    return {
        "rules": rules,
        "components": components,
        "categories": categories,
        "global_awards": [a for a in allocation.awards if a.category is None],
        "allocation": allocation,
        "notes": [note.text(language) for note in allocation.explanation],
    }


def _version_label(version: RulesVersion) -> str:
    label = _("version %(number)s") % {"number": version.number}
    return f"{label} · {version.note}" if version.note else label


@login_required
@require_http_methods(["GET", "POST"])
def simulation_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """The awards a SCORES.csv would win under a version of the rules: the pure engine, as
    `minka simulate_awards` runs it; nothing is stored."""
    edition = coordinator_edition(request, code, year)
    versions = list(edition.rules_versions.order_by("-number"))
    current = _current_version(edition, versions)
    if current is not None:  # the current version first: the form's default
        versions.remove(current)
        versions.insert(0, current)
    choices = [(v.number, _version_label(v)) for v in versions]
    form = SimulationForm(request.POST or None, request.FILES or None, versions=choices)
    language = "en" if (translation.get_language() or "es").startswith("en") else "es"

    def simulate(data: dict[str, Any]) -> HttpResponse:
        version = next(v for v in versions if v.number == data["version"])
        rules = rules_parse(version.document).value
        if rules is None:  # stored versions were checked when saved
            raise ValidationError(_("This version of the rules cannot be read."))
        parsed = scores_parse(rules, data["scores"])
        if parsed.value is None:
            raise ValidationError([problem.text(language) for problem in parsed.problems])
        ranking = ranking_build(rules, parsed.value)
        report = _simulation(rules, ranking, awards_allocate(rules, ranking))
        return show(form, 200, version=version, report=report)

    def show(
        form: Any, status: int, version: RulesVersion | None = None, report: Any = None
    ) -> HttpResponse:
        return page(
            request,
            "setup_simulation.html",
            {"edition": edition, "form": form, "version": version, "report": report},
            status,
        )

    return form_submit(request, form, simulate, show)


# --- opening registration ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def registration_open_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """GET asks for confirmation; POST freezes the latest rules and opens registration."""
    edition = coordinator_edition(request, code, year)
    form = forms.Form(request.POST if request.method == "POST" else None)

    def save(_data: dict[str, Any]) -> HttpResponse:
        services.registration_open(edition=edition, user=request.user)
        assert edition.rules_version is not None
        messages.success(
            request,
            _("Registration is open: version %(number)s of the rules is frozen.")
            % {"number": edition.rules_version.number},
        )
        return redirect("contests:edition", code, year)

    def show(form: Any, status: int) -> HttpResponse:
        return page(
            request,
            "setup_open.html",
            {
                "edition": edition,
                "form": form,
                "latest": edition.rules_versions.order_by("-number").first(),
                "registration": edition.phases.filter(kind="registration").first(),
            },
            status,
        )

    return form_submit(request, form, save, show)
