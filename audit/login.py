"""The login forms (the login page's and the admin's) and page: a locked name or address is told so, and for how long;
the page answers 429 then."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from audit.lockout import refusal


class _SaysLockout:
    def get_invalid_login_error(self):
        lock = refusal(self.request)  # type: ignore[attr-defined]
        if lock is not None:
            return forms.ValidationError(lock.message(), code="locked")
        return super().get_invalid_login_error()  # type: ignore[misc]


class LoginForm(_SaysLockout, AuthenticationForm):
    pass


class AdminLoginForm(_SaysLockout, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        lock = refusal(self.request)
        if lock is not None:
            response.status_code = 429
            response.headers["Retry-After"] = str(max(1, int((lock.until - timezone.now()).total_seconds()) + 1))
        return response
