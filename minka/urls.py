from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("minka.api.urls")),
    path("cuenta/", include("minka.accounts.urls")),
    path("territorios/", include("minka.territories.urls")),
    path("indicadores/", include("minka.indicators.urls")),
    path("cuadros/", include("minka.scorecards.urls")),
    path("sellos/", include("minka.contests.urls")),
    path("", include("minka.portal.urls")),
]
