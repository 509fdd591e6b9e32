"""The admin, one module per ModelAdmin; importing this registers them all.

Django's admin autodiscovery imports ``office.admin``; the imports below
register each ModelAdmin with the site.
"""

from office.admin import actual, continuation, indicator, plans, target, users  # noqa: F401
