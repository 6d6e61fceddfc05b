from django.apps import AppConfig
from django.core import checks


class ExpertConnectConfig(AppConfig):
    """The project itself: its deployment checks (expertconnect/deploy.py)."""

    name = "expertconnect"
    verbose_name = "ExpertConnect Pay"

    def ready(self) -> None:
        from expertconnect.deploy import check_deployment

        checks.register(check_deployment, checks.Tags.security, deploy=True)
