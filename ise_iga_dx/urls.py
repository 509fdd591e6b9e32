"""URL configuration for ise_iga_dx."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

admin.site.site_header = "DX推進 KPI進行管理"
admin.site.site_title = "DX推進 KPI進行管理"
admin.site.index_title = "計画・指標の管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include("indicators.api_urls")),
    path("reporting/", include("reporting.urls")),
    path("editions/", include("editions.urls")),
    # Published results for citizens: no login, no cookie (docs/publication.md).
    path("public/", include("public_site.urls")),
    path("", include("spreadsheets.urls")),
    path("", include("pages.urls")),
]
