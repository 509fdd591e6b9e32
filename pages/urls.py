"""The pages' URLs: home, dashboard, print page and 進捗管理シート, KGI page,
department page (views in :mod:`pages.views`)."""

from django.urls import path

from pages import views

app_name = "pages"

urlpatterns = [
    path("", views.home, name="home"),
    path("plans/<slug:code>/", views.plan, name="plan"),
    path("plans/<slug:code>/print/", views.plan_print, name="plan_print"),
    path("plans/<slug:code>/print/<int:year>/", views.plan_print_year, name="plan_print_year"),
    path(
        "plans/<slug:code>/print/<int:year>/sheet/", views.plan_progress_sheet,
        name="plan_progress_sheet",
    ),
    path("plans/<slug:code>/years/", views.plan_years, name="plan_years"),
    path("indicators/<str:code>/", views.indicator, name="indicator"),
    path("departments/<int:pk>/", views.department, name="department"),
]
