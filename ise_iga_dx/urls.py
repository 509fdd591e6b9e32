"""URL configuration for ise_iga_dx."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "DX推進 KPI進行管理"
admin.site.site_title = "DX推進 KPI進行管理"
admin.site.index_title = "計画・指標の管理"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("", include("indicators.urls")),
]
