"""Spreadsheets in and out: how an upload is read, checked and written, and
how the sheets the office downloads are made.

- ``reading``: the Django-free reader of .xlsx/.csv uploads into rows of
  cells; ``cells``: parsing those cells as staff type them (years,
  actuals, numbers, text), Django-free too.
- ``rows``: what every import shares (columns, actions, row errors, the
  checks of a row's code and year); ``actuals`` and ``targets`` check
  their files; ``writer`` is the one writer of both, for the admin import
  and the ``import_actuals`` command alike.
- ``definitions/``: the definitions template and its import (measures,
  KGIs and their targets).
- ``xlsx``, ``entry_sheet``, ``status_table``: writing the sheets.
- ``resources``, ``admin``: django-import-export's upload → preview →
  confirm screens in the admin, on the same checks and writer.
- ``views``, ``urls``: the downloads, within the user's scope.
- ``management/commands``: ``import_actuals``, ``import_definitions``.
"""
