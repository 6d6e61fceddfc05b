"""factory_boy factories for every model the tests build."""

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import User
from teams.models import Invitation, Membership, Organization, Team
from teams.roles import Role
from teams.selectors import token_hash

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    mobile_phone = factory.Sequence(lambda n: f"+1312555{n % 10000:04d}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Dealership {n}")
    slug = factory.Sequence(lambda n: f"dealership-{n}")
    country = "US"
    time_zone = "America/Chicago"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.ADVISOR


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    payments_enabled = False

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.members.set(extracted)


class InvitationFactory(factory.django.DjangoModelFactory):
    """An open invitation. Its raw token is ``invitation.token`` (not stored by the app)."""

    class Meta:
        model = Invitation
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    mobile_phone = "+13125550199"
    role = Role.MANAGER
    token = factory.Sequence(lambda n: f"test-token-{n}-abcdefghijklmnopqrstuvwxyz")
    token_hash = factory.LazyAttribute(lambda o: token_hash(o.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        token = kwargs.pop("token")
        obj = super()._create(model_class, *args, **kwargs)
        obj.token = token
        return obj

    @factory.post_generation
    def teams(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.teams.set(extracted)
