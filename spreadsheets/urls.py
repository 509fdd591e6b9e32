"""The downloads' URLs: entry sheets, the review table, the definitions template."""

from django.urls import path

from spreadsheets import views

app_name = "spreadsheets"

urlpatterns = [
    path(
        "exports/plans/<slug:code>/entry.xlsx",
        views.entry_sheet_download,
        name="entry_sheet",
    ),
    path(
        "exports/plans/<slug:code>/definitions.xlsx",
        views.definitions_template_download,
        name="definitions_template",
    ),
    path(
        "exports/plans/<slug:code>/status/<int:year>.xlsx",
        views.status_table_download,
        name="status_table",
    ),
]
