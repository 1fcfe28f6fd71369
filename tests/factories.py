import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from factcards.models import Citation, FactCard, Place, Source, Topic


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def group(user, create, name, **kwargs):
        if create and name:
            user.groups.add(Group.objects.get(name=name))


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Place {n}")
    slug = factory.Sequence(lambda n: f"place-{n}")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    outlet = "The Moscow Times"
    title = factory.Sequence(lambda n: f"Russian Peacekeepers, part {n}")
    url = factory.Sequence(lambda n: f"https://example.org/articles/{n}")


class FactCardFactory(factory.django.DjangoModelFactory):
    """A draft figure card with one supporting citation, ready to go through the workflow."""

    class Meta:
        model = FactCard
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"card-{n}")
    statement = factory.Sequence(lambda n: f"Card {n}: nearly 2,000 peacekeepers were stationed.")
    kind = FactCard.Kind.FIGURE
    value = 2000
    unit = "peacekeepers"
    qualifier = FactCard.Qualifier.NEARLY
    created_by = factory.SubFactory(UserFactory, group="Reporters")

    @factory.post_generation
    def citations(card, create, count, **kwargs):
        if create:
            CitationFactory.create_batch(1 if count is None else count, card=card)


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citation

    card = factory.SubFactory(FactCardFactory, citations=0)
    source = factory.SubFactory(SourceFactory)
    excerpt = "Nearly 2,000 Russian peacekeepers had been stationed in Karabakh."
    relation = Citation.Relation.SUPPORTS

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Cited by the card's author, as the model asks of every change to a card."""
        citation = model_class(*args, **kwargs)
        citation.save(by=citation.card.created_by)
        return citation


def publish(card, editor=None):
    """Take a card through review to publication, as a real editor would."""
    card.submit(card.created_by)
    card.publish(editor or UserFactory(group="Editors"))
    return FactCard.objects.get(pk=card.pk)


def published_card(editor=None, **kwargs):
    return publish(FactCardFactory(**kwargs), editor)
