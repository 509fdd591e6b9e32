"""Pure helpers used across the apps: no Django, no app imports.

- :mod:`ise_iga_dx.lib.wareki`: fiscal years and the Japanese era calendar,
  both ways (2026 ⇄ 「令和8年度（2026）」, 「R8」).
- :mod:`ise_iga_dx.lib.params`: the one reader of ``?year=`` and ids.
- :mod:`ise_iga_dx.lib.decimals`: numbers with the decimals they were
  entered with.
- :mod:`ise_iga_dx.lib.text`: display width of Japanese text.

import-linter keeps this package free of Django and of the apps
(pyproject.toml, contract 「lib is pure」).
"""
