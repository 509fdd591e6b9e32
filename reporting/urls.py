"""The reporting round's pages (views in :mod:`reporting.views`)."""

from django.urls import path

from reporting.views import department, office

app_name = "reporting"

urlpatterns = [
    path("", office.rounds, name="rounds"),
    path("rounds/new/", office.round_open, name="round_open"),
    path("rounds/<int:pk>/", office.board, name="board"),
    path("rounds/<int:pk>/extend/", office.round_extend, name="round_extend"),
    path("rounds/<int:pk>/close/", office.round_close, name="round_close"),
    path("submissions/<int:pk>/", department.submission, name="submission"),
    path("submissions/<int:pk>/submit/", department.submit, name="submission_submit"),
    path("submissions/<int:pk>/return/", office.submission_return, name="submission_return"),
    path("submissions/<int:pk>/confirm/", office.submission_confirm,
         name="submission_confirm"),
]
