from django.urls import path

from minka.territories import views

app_name = "territories"
urlpatterns = [
    path("", views.browse, name="browse"),
    path("instituciones/<int:pk>/", views.institution_detail, name="institution"),
    path("instituciones/<int:pk>/editar/", views.institution_edit, name="institution_edit"),
    path("<str:country>/<str:code>/", views.territory_detail, name="detail"),
]
