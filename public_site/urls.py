"""The public pages (views in :mod:`public_site.views`), under /public/.

Every path under the prefix is answered here, an unknown one by the
public 404 (:func:`public_site.views.missing`), so that no public URL reaches
the staff layout or the session.
"""

from django.urls import path, re_path, register_converter

from public_site import views


class YearConverter:
    """A fiscal year of four digits (a longer number is a 404, not a lookup)."""

    regex = "[0-9]{4}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{value:04d}"


register_converter(YearConverter, "fy")

app_name = "public"

PLAN_YEAR = "<slug:municipality>/<slug:plan>/<fy:year>/"

urlpatterns = [
    path("", views.index, name="index"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("<slug:municipality>/", views.municipality, name="municipality"),
    path("<slug:municipality>/<slug:plan>/", views.plan, name="plan"),
    path(PLAN_YEAR, views.plan_year, name="plan_year"),
    path(PLAN_YEAR + "datapackage.json", views.datapackage, name="datapackage"),
    path(PLAN_YEAR + "<slug:filename>.csv", views.download, {"ext": "csv"}, name="csv"),
    path(PLAN_YEAR + "<slug:filename>.json", views.download, {"ext": "json"}, name="json"),
    path(PLAN_YEAR + "<str:code>/", views.indicator, name="indicator"),
    # [\s\S] and \Z: an encoded newline in the path is ours too.
    re_path(r"^(?P<rest>[\s\S]*)\Z", views.missing, name="missing"),
]
