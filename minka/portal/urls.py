from django.urls import path

from minka.portal.views import data_center, home

app_name = "portal"
urlpatterns = [
    path("", home.home, name="home"),
    path("tablero/", data_center.dashboard, name="dashboard"),
    path("datos/", data_center.data_center, name="data_center"),
    path("datos/comparar/", data_center.compare_page, name="compare"),
    path(
        "datos/territorio/<str:country>/<str:code>/", data_center.territory_page, name="territory"
    ),
    path("datos/indicador/<str:code>/", data_center.indicator_page, name="indicator"),
    path(
        "datos/indicador/<str:code>/descargar.<str:file_format>",
        data_center.indicator_download,
        name="indicator_download",
    ),
    path(
        "datos/indicador/<str:code>/fuentes/<str:country>/<str:territory_code>/<str:period>/",
        data_center.figure_sources_page,
        name="figure_sources",
    ),
]
