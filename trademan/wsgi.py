"""WSGI entry point for gunicorn: `gunicorn trademan.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trademan.settings")
application = get_wsgi_application()
