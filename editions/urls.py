"""The editions' pages (views in :mod:`editions.views`)."""

from django.urls import path

from editions import views

app_name = "editions"

urlpatterns = [
    path("plans/<slug:code>/", views.plan_editions, name="plan"),
    path("<int:pk>/", views.edition, name="edition"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/print/", views.edition_print, name="print"),
    path("<int:pk>/sheet/", views.edition_sheet, name="sheet"),
    path("<int:pk>/workbook/", views.workbook, name="workbook"),
    path("<int:pk>/changes/", views.changes, name="changes"),
]
