from django.urls import path

from minka.contests import views

app_name = "contests"
edition = "<slug:code>/<int:year>/"
urlpatterns = [
    path("", views.edition_list, name="list"),
    path("archivos/<int:pk>/", views.evidence_file_download, name="evidence_file"),
    path(edition, views.edition_page, name="edition"),
    path(f"{edition}inscripcion/", views.registration_page, name="register"),
    path(f"{edition}inscripciones/", views.registrations_page, name="registrations"),
    path(f"{edition}inscripciones/<int:pk>/", views.registration_review_page,
         name="registration_review"),
    path(f"{edition}inscripciones/<int:pk>/acta/", views.council_act_download,
         name="council_act"),
    path(f"{edition}inscripciones/<int:pk>/evidencias/", views.checklist_page,
         name="checklist"),
    path(f"{edition}inscripciones/<int:pk>/evidencias/<str:cut>/<str:criterion>/",
         views.evidence_upload_page, name="evidence_upload"),
    path(f"{edition}revision/", views.review_queue_page, name="review_queue"),
    path(f"{edition}revision/<int:pk>/", views.evidence_review_page, name="evidence_review"),
    path(f"{edition}auditoria/", views.audit_page, name="audit"),
]
