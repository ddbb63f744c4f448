from django.urls import path

from minka.scorecards import views

app_name = "scorecards"
urlpatterns = [
    path("", views.scorecard_list, name="list"),
    path("nuevo/", views.scorecard_create, name="create"),
    path("<int:pk>/", views.scorecard_detail, name="detail"),
    path("<int:pk>/editar/", views.scorecard_edit, name="edit"),
    path("<int:pk>/textos/nuevo/", views.text_add, name="text_add"),
    path("<int:pk>/textos/<slug:kind>/", views.text_history, name="text_history"),
    path("<int:pk>/programas/nuevo/", views.programme_add, name="programme_add"),
    path(
        "<int:pk>/programas/<int:programme_pk>/medidas/nueva/",
        views.measure_add,
        name="measure_add",
    ),
    path(
        "<int:pk>/programas/<int:programme_pk>/textos/nuevo/",
        views.text_add,
        name="programme_text_add",
    ),
    path(
        "<int:pk>/programas/<int:programme_pk>/textos/<slug:kind>/",
        views.text_history,
        name="programme_text_history",
    ),
]
