from django.apps import AppConfig
from django.core import checks


class ExpertConnectConfig(AppConfig):
    """The project itself: its deployment checks (deploy.py) and the Django admin's access
    rules (admin_access.py)."""

    name = "expertconnect"
    verbose_name = "ExpertConnect Pay"

    def ready(self) -> None:
        from django.contrib import admin

        from expertconnect import admin_access
        from expertconnect.deploy import check_deployment

        checks.register(check_deployment, checks.Tags.security, deploy=True)
        admin_access.install(admin.site)
