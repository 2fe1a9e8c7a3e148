"""The ASGI entry point: pages and the live streams (Server-Sent Events) under uvicorn. See README, Deployment."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warroom.settings")

application = get_asgi_application()
