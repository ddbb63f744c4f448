from django.urls import path

from minka.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("ingresar/", views.LoginView.as_view(), name="login"),
    path("salir/", views.LogoutView.as_view(), name="logout"),
    path("tokens/", views.api_token_create_view, name="token_create"),
    path("tokens/<int:token_id>/revocar/", views.api_token_revoke_view, name="token_revoke"),
]
