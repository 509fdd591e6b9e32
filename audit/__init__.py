"""The audit trail (変更履歴): who changed what, when and why.

django-simple-history records every save made through the ORM. This app
holds what the other apps share about that record, and imports none of
them (it sits below ``plans`` and ``indicators``; models are named by
app-label strings):

- :mod:`audit.fields`: :func:`~audit.fields.audit_trail`, the history
  field every audited model declares.
- :mod:`audit.writers`: history rows written without a model save (bulk
  imports, the confirm step, fixtures), and the reason an import gives.
- :mod:`audit.describe`: the one describer of a change, 「実績値：40.0 →
  42.5」, for the admin's history pages and the KGI page alike; who made
  it; the LAG() reader that puts a record's previous values beside it.
- :mod:`audit.admin`: :class:`~audit.admin.AuditedAdmin`, the history
  pages in Japanese, read only.

What a KGI's page lists (its targets and actuals, worded with its unit)
is the indicators' business: :mod:`indicators.history`, built on
:mod:`audit.describe`. docs/audit.md describes the trail for its users.
"""
