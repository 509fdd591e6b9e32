"""WSGI entry point for ise_iga_dx."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ise_iga_dx.settings")

application = get_wsgi_application()
