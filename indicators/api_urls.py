"""The JSON API's URLs (/api/v1/…), views in :mod:`indicators.api`."""

from django.urls import path

from indicators import api

app_name = "api"

urlpatterns = [
    path("plans/<str:code>/status", api.plan_status_view, name="plan_status"),
]
