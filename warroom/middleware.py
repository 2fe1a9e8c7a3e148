"""Request middleware: login everywhere, the API's "workers unreachable" header, and a query counter for bench/."""

import time

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.middleware import LoginRequiredMiddleware as _LoginRequiredMiddleware
from django.db import DatabaseError, DataError, connection
from django.utils.deprecation import MiddlewareMixin

from warroom import outbox

WORKERS_HEADER = "Warroom-Workers"


class QueryCountHeaderMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        return response


class LoginRequiredMiddleware(_LoginRequiredMiddleware):
    """Login everywhere, except the API (which answers 401/403 itself, token or session) and /healthz."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(("/api/", "/healthz")):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


NUL_REFUSED = "Text cannot contain NUL (\\x00) characters: the database cannot store them. Remove them and send again."


class NulRefusedMiddleware:
    """PostgreSQL refuses NUL in text and psycopg raises before sending the query: a 400 saying so, never a 500.

    Forms and serializers refuse NUL in the fields they read as text (with the field's name); this catches what
    reaches the database another way (a lookup by name, a JSON value no field checks). Nothing is stored: the
    statement never reached the database, and the request's writes are in the service's transaction.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DataError) and "NUL (0x00)" in str(exception):  # psycopg's, as Django wraps it
            from warroom.errors import answer  # errors imports Django's views: imported when first needed

            return answer(request, 400, "400.html", NUL_REFUSED)
        return None


class WorkersUnreachableMiddleware:
    """An API write answered while the broker is down says so (`Warroom-Workers: unreachable; waiting=N`): what it
    queued waits in the outbox and goes out once the broker is back. One count on a partial index, writes only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.path_info.startswith("/api/") and request.method not in ("GET", "HEAD", "OPTIONS")
                and response.status_code < 400):
            try:
                waiting = outbox.waiting()
            except DatabaseError:
                return response
            if waiting:
                response[WORKERS_HEADER] = f"unreachable; waiting={waiting}"
        return response


# The live pages' polls and streams: a page left open is not someone at work, so they do not keep a session alive.
LIVE_VIEWS = frozenset({"incidents:dashboard_live", "incidents:detail_live", "incidents:dashboard_stream",
                        "incidents:detail_stream"})
SEEN = "_warroom_seen"
SEEN_EVERY = 60  # seconds: a signed-in request writes the session at most once a minute to push its expiry on


def session_seen_at_login(sender, request, user, **kwargs) -> None:
    """Signing in has just saved the session with a fresh expiry: the next minute's requests need not write it."""
    if request is not None and hasattr(request, "session"):
        request.session[SEEN] = int(time.time())


class SessionIdleMiddleware(MiddlewareMixin):
    """Sessions end after WARROOM_SESSION_IDLE_MINUTES without a request (SESSION_COOKIE_AGE): each request but the
    live pages' polls and streams moves the expiry on, in the database and the cookie, by saving the session."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.view_name in LIVE_VIEWS or not hasattr(request, "session"):
            return None
        if not getattr(view_func, "login_required", True):  # public (/healthz, the status page): no session read
            return None
        session = request.session
        if SESSION_KEY in session and time.time() - session.get(SEEN, 0) >= SEEN_EVERY:
            session[SEEN] = int(time.time())  # modified: saved with a new expiry, and the cookie sent again
        return None
