"""The editions' pages (views in :mod:`editions.views`)."""

app_name = "editions"

urlpatterns: list = []
