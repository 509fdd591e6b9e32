"""The public pages (views in :mod:`public.views`)."""

app_name = "public"

urlpatterns: list = []
