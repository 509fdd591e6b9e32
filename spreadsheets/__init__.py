"""Spreadsheets in and out: how an upload is read, checked and written, and
how the sheets the office downloads are made.

- ``reading``: the Django-free reader of .xlsx/.csv uploads and cells.
- ``xlsx``: writing helpers (formula-safe text, styles, print set-up).
- ``entry_sheet``, ``status_table``: the entry sheet and the review table.
- ``views``, ``urls``: the downloads, within the user's scope.
"""
