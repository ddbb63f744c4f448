from django.urls import path

from minka.indicators.views import catalogue, data_imports, quality, targets

app_name = "indicators"
urlpatterns = [
    path("", catalogue.sheet_list, name="catalogue"),
    path("nuevo/", catalogue.sheet_edit, name="sheet_create"),
    path("elementos/", catalogue.element_list, name="elements"),
    path("importar/", data_imports.import_page, name="import"),
    path("importar/<int:pk>/", data_imports.import_batch_page, name="import_batch"),
    path("importar/<int:pk>/estado/", data_imports.import_batch_status, name="import_status"),
    path("importar/<int:pk>/confirmar/", data_imports.import_batch_confirm, name="import_confirm"),
    path("plantilla/", data_imports.template_page, name="template"),
    path("calidad/", quality.flag_list, name="quality"),
    path("calidad/verificar/", quality.quality_check_view, name="quality_check"),
    path("calidad/<int:pk>/", quality.flag_review, name="quality_review"),
    path("<str:code>/", catalogue.sheet_detail, name="sheet"),
    path("<str:code>/editar/", catalogue.sheet_edit, name="sheet_edit"),
    path("<str:code>/metas/", targets.targets_page, name="targets"),
    path("<str:code>/metas/derivar/", targets.targets_derive_view, name="targets_derive"),
    path("<str:code>/fuentes/", catalogue.figure_sources_find, name="sources_find"),
    path(
        "<str:code>/fuentes/<str:country>/<str:territory_code>/<str:period>/",
        catalogue.figure_sources_page,
        name="sources",
    ),
]
