"""Browser tests drive Debian's Chromium (/usr/bin/chromium) through Playwright against live_server."""

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session", autouse=True)
def _kubernetes_client_loaded():
    """The kubernetes client imports its API classes on first use: 3-6 s on a loaded machine, inside whichever
    page request comes first (a mitigation preview), racing that page's 5 s deadline. Workers preload them
    (warroom/celery.py); the test server does too, so a page test measures the page, not a cold import."""
    from kubernetes.client import AppsV1Api, CoreV1Api, CustomObjectsApi  # noqa: F401


@pytest.fixture
def site(live_server, settings):
    """The live server over plain HTTP, as a browser on this machine sees it."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    return live_server.url


@pytest.fixture
def login(browser, site):
    """A fresh browser context (its own cookies), logged in through the real login form."""
    contexts = []

    def open_as(username: str):
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{site}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", f"{username}-password")
        page.click("button[type=submit]")
        page.wait_for_url(f"{site}/")
        return page

    yield open_as
    for context in contexts:
        context.close()
