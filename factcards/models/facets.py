"""What the public list's facets count, kept current at every publication.

CardFacet says which options each published card counts for (its kind, topics, places, the
outlets and agencies it cites, whether its sources disagree); FacetCount holds how many
published cards each option has. Both move in the same transaction as the publication
counter (Publication.bump), from the cards that changed, so the unfiltered list's facets
and choices are a read of a few hundred rows, never a count over the whole archive, and a
filtered list counts over CardFacet without joining citations to sources.
"""

from collections import Counter

from django.db import connection, models

FACET_NAMES = ["kind", "topic", "place", "outlet", "disagree"]


class CardFacet(models.Model):
    card = models.ForeignKey("factcards.FactCard", on_delete=models.CASCADE, related_name="+")
    facet = models.CharField(max_length=10)
    option = models.CharField(max_length=200)

    class Meta:
        verbose_name = "facet of a published card"
        constraints = [
            models.UniqueConstraint(fields=["card", "facet", "option"], name="card_facet_once")
        ]
        indexes = [models.Index(fields=["facet", "option", "card"], name="card_facet_option")]

    def __str__(self):
        return f"{self.card_id}: {self.facet}={self.option}"


class FacetCount(models.Model):
    facet = models.CharField(max_length=10)
    option = models.CharField(max_length=200)
    cards = models.IntegerField(default=0)

    class Meta:
        verbose_name = "published cards per facet option"
        constraints = [models.UniqueConstraint(fields=["facet", "option"], name="facet_count_once")]

    def __str__(self):
        return f"{self.facet}={self.option}: {self.cards}"


def memberships(card_ids=None):
    """{card id: {(facet, option)}} for the published cards among card_ids (all if None)."""
    from .cards import FactCard
    from .citations import Citation

    cards = FactCard.objects.published()
    if card_ids is not None:
        cards = cards.filter(pk__in=list(card_ids))
    found = {pk: {("kind", kind)} for pk, kind in cards.values_list("pk", "kind")}
    ids = list(found) if card_ids is not None else cards.values("pk")
    for facet, link in (("topic", FactCard.topics.through), ("place", FactCard.places.through)):
        rows = link.objects.filter(factcard__in=ids).values_list("factcard", f"{facet}__slug")
        for card, slug in rows:
            found[card].add((facet, slug))
    cited = Citation.objects.filter(card__in=ids)
    for card, outlet, byline, relation in cited.values_list(
        "card", "source__outlet", "source__byline", "relation"
    ):
        found[card].update(("outlet", name) for name in (outlet, byline) if name)
        if relation == Citation.Relation.DIFFERS:
            found[card].add(("disagree", "on"))
    return found


def refresh(card_ids):
    """Bring the facets of these cards up to date (called inside the publication's
    transaction, with the cards' rows locked by the step that changed them)."""
    card_ids = set(card_ids)
    now = memberships(card_ids)
    before = {}
    for card, facet, option in CardFacet.objects.filter(card__in=card_ids).values_list(
        "card", "facet", "option"
    ):
        before.setdefault(card, set()).add((facet, option))
    delta = Counter()
    gone, added = [], []
    for card in card_ids:
        old, new = before.get(card, set()), now.get(card, set())
        delta.update({pair: -1 for pair in old - new})
        delta.update({pair: 1 for pair in new - old})
        gone += [(card, *pair) for pair in old - new]
        added += [CardFacet(card_id=card, facet=f, option=o) for f, o in new - old]
    for card, facet, option in gone:
        CardFacet.objects.filter(card=card, facet=facet, option=option).delete()
    CardFacet.objects.bulk_create(added)
    add_to_counts({pair: n for pair, n in delta.items() if n})


def add_to_counts(delta):
    """FacetCount += delta, atomically per row (two publications at once both count)."""
    if not delta:
        return
    table, facet, option, cards = map(
        connection.ops.quote_name, [FacetCount._meta.db_table, "facet", "option", "cards"]
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({facet}, {option}, {cards}) VALUES (%s, %s, %s) "
            f"ON CONFLICT ({facet}, {option}) "
            f"DO UPDATE SET {cards} = {table}.{cards} + excluded.{cards}",
            [(facet, option, n) for (facet, option), n in delta.items()],
        )


def recount():
    """Rebuild both tables from the published cards (after a bulk load or a raw restore)."""
    CardFacet.objects.all().delete()
    FacetCount.objects.all().delete()
    counts = Counter()
    batch = []
    for card, pairs in memberships().items():
        counts.update(pairs)
        batch += [CardFacet(card_id=card, facet=f, option=o) for f, o in pairs]
        if len(batch) >= 5000:
            CardFacet.objects.bulk_create(batch)
            batch = []
    CardFacet.objects.bulk_create(batch)
    FacetCount.objects.bulk_create(
        [FacetCount(facet=f, option=o, cards=n) for (f, o), n in counts.items()]
    )


def kept_counts():
    """{facet: {option: published cards}}, options no card counts for left out: one read."""
    found = {name: {} for name in FACET_NAMES}
    for facet, option, n in FacetCount.objects.filter(cards__gt=0).values_list(
        "facet", "option", "cards"
    ):
        found[facet][option] = n
    return found
