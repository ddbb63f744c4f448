"""The evaluators' page of an edition (`evaluadores/`): the coordinators assign evaluators
to components and municipalities, remove assignments, and ask a second evaluator to
review a disputed decision under appeal; an evaluator sees their own assignments and the
second reviews asked of them, and records their opinion. Thin: parse, call one service
or selector, render; a refused form is shown again with the reasons and status 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from minka.accounts.forms import DescribedErrorsMixin
from minka.accounts.models import Role, User
from minka.accounts.permissions import roles_of
from minka.contests import selectors
from minka.contests.models import (
    Appeal,
    AppealStatus,
    AuditEntry,
    Edition,
    Evidence,
    EvidenceStatus,
    ReviewerAssignment,
)
from minka.contests.services.appeals import (
    appeal_second_review_record,
    appeal_second_review_request,
)
from minka.contests.services.evidence import reviewer_assign, reviewer_unassign
from minka.contests.views.common import coordinator_edition, page
from minka.form_submit import form_submit
from minka.territories.models import Institution


def _evaluators() -> Any:
    return (
        User.objects.filter(is_active=True, role_assignments__role=Role.EVALUATOR)
        .distinct()
        .order_by("username")
    )


class AssignmentForm(DescribedErrorsMixin, forms.Form):
    evaluator = forms.ModelChoiceField(
        label=gettext_lazy("Evaluator"), queryset=User.objects.none()
    )
    component = forms.ChoiceField(label=gettext_lazy("Component"), required=False)
    municipality = forms.ModelChoiceField(
        label=gettext_lazy("Municipality"),
        queryset=Institution.objects.none(),
        required=False,
        empty_label=gettext_lazy("Any municipality"),
        help_text=gettext_lazy(
            "Choose a component, a municipality or both; never the evaluator's own territory."
        ),
    )

    def __init__(self, *args: Any, edition: Edition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["evaluator"].queryset = _evaluators()
        rules = selectors.edition_rules(edition=edition)
        fields["component"].choices = [("", _("Any component"))] + [
            (c.code, f"{c.code} · {c.name}") for c in (rules.components if rules else ())
        ]
        fields["municipality"].queryset = Institution.objects.filter(
            pk__in=edition.registrations.values("municipality")
        ).order_by("name")


class SecondReviewRequestForm(DescribedErrorsMixin, forms.Form):
    evaluator = forms.ModelChoiceField(
        label=gettext_lazy("Second evaluator"), queryset=User.objects.none()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["evaluator"]
        field.queryset = _evaluators()


class SecondReviewForm(DescribedErrorsMixin, forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Your decision"),
        choices=[
            (EvidenceStatus.APPROVED.value, gettext_lazy("Approve the means of verification")),
            (EvidenceStatus.REJECTED.value, gettext_lazy("Uphold the decision")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The coordinator reads it before resolving the appeal."),
    )


@dataclass
class AppealRow:
    """An appeal as this page shows it: the evidence and the decision appealed (with its
    reason from the audit log), and the form that applies to the reader, if any."""

    appeal: Appeal
    evidence: Evidence | None
    decision: AuditEntry | None
    form: Any


def _appeal_row(appeal: Appeal, form: Any) -> AppealRow:
    evidence = (
        Evidence.objects.filter(
            registration=appeal.registration, cut=appeal.cut, criterion=appeal.criterion
        )
        .prefetch_related("files")
        .first()
    )
    decision = None if evidence is None else selectors.evidence_decision(evidence=evidence)
    return AppealRow(appeal=appeal, evidence=evidence, decision=decision, form=form)


def _request_form(appeal: Appeal, data: Any = None) -> SecondReviewRequestForm | None:
    if appeal.status != AppealStatus.OPEN or appeal.second_decision:
        return None
    return SecondReviewRequestForm(data, prefix=f"appeal-{appeal.pk}")


def _review_form(appeal: Appeal, user: Any, data: Any = None) -> SecondReviewForm | None:
    if (
        appeal.status != AppealStatus.OPEN
        or appeal.second_decision
        or appeal.second_reviewer_id != user.pk
    ):
        return None
    return SecondReviewForm(data, prefix=f"second-{appeal.pk}")


def _show(
    request: HttpRequest,
    edition: Edition,
    *,
    status: int = 200,
    assignment_form: AssignmentForm | None = None,
    bound: dict[int, Any] | None = None,
) -> HttpResponse:
    """The page as the reader may see it; `bound` replaces the blank form of an appeal
    with the one just refused (so its errors show)."""
    user = request.user
    bound = bound or {}
    coordinator = selectors.is_coordinator(user=user, edition=edition)
    assignments = list(selectors.reviewer_assignment_list(edition=edition))
    appeals = list(selectors.appeal_list(edition=edition).select_related("second_reviewer"))
    if coordinator:
        rows = [
            _appeal_row(a, bound.get(a.pk) or _request_form(a))
            for a in appeals
            if a.status == AppealStatus.OPEN or a.second_reviewer_id
        ]
    else:
        assignments = [a for a in assignments if a.evaluator_id == user.pk]
        rows = [
            _appeal_row(a, bound.get(a.pk) or _review_form(a, user))
            for a in appeals
            if a.second_reviewer_id == user.pk
        ]
    return page(
        request,
        "assignments.html",
        {
            "edition": edition,
            "coordinator": coordinator,
            "assignments": assignments,
            "any_assignment": bool(assignments) or edition.reviewer_assignments.exists(),
            "assignment_form": assignment_form
            or (AssignmentForm(edition=edition) if coordinator else None),
            "rows": rows,
        },
        status,
    )


def _readable_edition(request: HttpRequest, code: str, year: int) -> Edition:
    edition = selectors.edition_or_404(code=code, year=year)
    if not (
        selectors.is_coordinator(user=request.user, edition=edition)
        or "evaluator" in roles_of(request.user)
    ):
        raise PermissionDenied(_("Only the contest's coordinators and evaluators see this."))
    return edition


@login_required
@require_http_methods(["GET", "POST"])
def assignments_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """GET: the page; POST (coordinators): add an assignment."""
    if request.method != "POST":
        return _show(request, _readable_edition(request, code, year))
    edition = coordinator_edition(request, code, year)
    form = AssignmentForm(request.POST, edition=edition)

    def save(data: dict[str, Any]) -> HttpResponse:
        assignment = reviewer_assign(
            edition=edition,
            evaluator=data["evaluator"],
            component=data["component"],
            municipality=data["municipality"],
            user=request.user,
        )
        messages.success(
            request, _("%(user)s was assigned.") % {"user": assignment.evaluator.get_username()}
        )
        return redirect("contests:assignments", code, year)

    return form_submit(
        request,
        form,
        save,
        lambda form, status: _show(request, edition, status=status, assignment_form=form),
    )


@login_required
@require_POST
def assignment_remove(request: HttpRequest, code: str, year: int, pk: int) -> HttpResponse:
    edition = coordinator_edition(request, code, year)
    assignment = ReviewerAssignment.objects.filter(edition=edition, pk=pk).first()
    if assignment is None:
        raise Http404(_("There is no such assignment."))
    reviewer_unassign(assignment=assignment, user=request.user)
    messages.success(request, _("The assignment was removed."))
    return redirect("contests:assignments", code, year)


@login_required
@require_POST
def second_review_request(request: HttpRequest, code: str, year: int, pk: int) -> HttpResponse:
    edition = coordinator_edition(request, code, year)
    appeal = selectors.appeal_or_404(edition=edition, pk=pk)
    form = _request_form(appeal, request.POST)
    if form is None:
        raise Http404(_("This appeal takes no second review now."))

    def save(data: dict[str, Any]) -> HttpResponse:
        appeal_second_review_request(appeal=appeal, evaluator=data["evaluator"], user=request.user)
        messages.success(request, _("The second review was asked."))
        return redirect("contests:assignments", code, year)

    return form_submit(
        request,
        form,
        save,
        lambda form, status: _show(request, edition, status=status, bound={appeal.pk: form}),
    )


@login_required
@require_POST
def second_review_record(request: HttpRequest, code: str, year: int, pk: int) -> HttpResponse:
    edition = _readable_edition(request, code, year)
    appeal = selectors.appeal_or_404(edition=edition, pk=pk)
    form = _review_form(appeal, request.user, request.POST)
    if form is None:
        # Not asked of this user, or decided already: nothing to learn here.
        raise Http404(_("There is no second review of this appeal for you."))

    def save(data: dict[str, Any]) -> HttpResponse:
        appeal_second_review_record(
            appeal=appeal, user=request.user, decision=data["decision"], reason=data["reason"]
        )
        messages.success(request, _("Your decision was recorded."))
        return redirect("contests:assignments", code, year)

    return form_submit(
        request,
        form,
        save,
        lambda form, status: _show(request, edition, status=status, bound={appeal.pk: form}),
    )
