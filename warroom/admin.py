"""API tokens stay out of the admin: DRF's own admin lists every person's token in clear, to every superuser.

They are made and replaced with `manage.py drf_create_token [-r] <username>`, which shows the new token once, to
whoever is at the shell. This app is the last in INSTALLED_APPS, so DRF's registration exists to be undone here.
"""

from django.contrib import admin
from rest_framework.authtoken.models import TokenProxy

if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)
