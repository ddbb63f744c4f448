from django.urls import path

from minka.contests import views
from minka.contests.views import assignments

app_name = "contests"
edition = "<slug:code>/<int:year>/"
urlpatterns = [
    path("", views.edition_list, name="list"),
    path("nuevo/", views.contest_create_page, name="contest_create"),
    path("<slug:code>/nueva-edicion/", views.edition_create_page, name="edition_create"),
    path("archivos/<int:pk>/", views.evidence_file_download, name="evidence_file"),
    path(edition, views.edition_page, name="edition"),
    path(f"{edition}cronograma/", views.schedule_page, name="schedule"),
    path(f"{edition}bases/", views.rules_page, name="rules"),
    path(f"{edition}bases/simular/", views.simulation_page, name="simulation"),
    path(
        f"{edition}abrir-inscripcion/", views.registration_open_page, name="registration_open"
    ),
    path(f"{edition}inscripcion/", views.registration_page, name="register"),
    path(f"{edition}inscripciones/", views.registrations_page, name="registrations"),
    path(
        f"{edition}inscripciones/<int:pk>/",
        views.registration_review_page,
        name="registration_review",
    ),
    path(f"{edition}inscripciones/<int:pk>/acta/", views.council_act_download, name="council_act"),
    path(f"{edition}inscripciones/<int:pk>/evidencias/", views.checklist_page, name="checklist"),
    path(
        f"{edition}inscripciones/<int:pk>/evidencias/<str:cut>/<str:criterion>/",
        views.evidence_upload_page,
        name="evidence_upload",
    ),
    path(f"{edition}revision/", views.review_queue_page, name="review_queue"),
    path(f"{edition}revision/<int:pk>/", views.evidence_review_page, name="evidence_review"),
    path(f"{edition}auditoria/", views.audit_page, name="audit"),
    path(f"{edition}cortes/<str:cut>/congelar/", views.cut_freeze_page, name="cut_freeze"),
    path(f"{edition}resultados/publicar/", views.scores_publish_page, name="scores_publish"),
    path(f"{edition}resultados/", views.results_page, name="results"),
    path(f"{edition}resultados/excel", views.results_excel, name="results_excel"),
    path(f"{edition}resultados/pdf", views.results_pdf, name="results_pdf"),
    path(
        f"{edition}resultados/<int:pk>/",
        views.results_municipality_page,
        name="results_municipality",
    ),
    path(f"{edition}apelaciones/", views.appeals_page, name="appeals"),
    path(f"{edition}apelaciones/<int:pk>/", views.appeal_resolve_page, name="appeal_resolve"),
    path(f"{edition}evaluadores/", assignments.assignments_page, name="assignments"),
    path(
        f"{edition}evaluadores/<int:pk>/quitar/",
        assignments.assignment_remove,
        name="assignment_remove",
    ),
    path(
        f"{edition}apelaciones/<int:pk>/segunda-revision/",
        assignments.second_review_request,
        name="second_review_request",
    ),
    path(
        f"{edition}apelaciones/<int:pk>/segunda-revision/decision/",
        assignments.second_review_record,
        name="second_review_record",
    ),
]
