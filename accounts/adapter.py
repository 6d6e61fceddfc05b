from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address of the person behind ``request``: the one the last of the
    TRUSTED_PROXY_COUNT proxies in front saw (X-Forwarded-For, right to left), else the
    connection's own. Every rate limit uses it, allauth's included (one setting for both)."""
    return get_adapter(request).get_client_ip(request)


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        return super().clean_email(email).lower()
