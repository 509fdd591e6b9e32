"""The DX office's tool: the Django admin for plans, KGIs, targets, actuals and users.

One module per ModelAdmin under :mod:`office.admin` (plans, indicator,
actual, target, users), with the list filters (``filters``), the KGI
page's inline rows (``inlines``), the spreadsheet import screens
(``imports``) and what they share (``common``); the admin's forms are in
:mod:`office.forms`. Departments work on pages of their own (``pages``);
who may see or change what is decided in :mod:`accounts`.

The admins live here, above the apps whose models they show, so that the
domain apps (plans, indicators) import neither the spreadsheets app nor
each other's admin: the layers in pyproject.toml hold without cycles.
"""
