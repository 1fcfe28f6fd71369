
import django.db.models.deletion
from django.db import migrations, models


def count_published_cards(apps, schema_editor):
    """Fill both tables from the cards published so far (the app keeps them current after)."""
    FactCard = apps.get_model("factcards", "FactCard")
    Citation = apps.get_model("factcards", "Citation")
    CardFacet = apps.get_model("factcards", "CardFacet")
    FacetCount = apps.get_model("factcards", "FacetCount")
    published = FactCard.objects.filter(status="published", revision_of__isnull=True)
    found = {pk: {("kind", kind)} for pk, kind in published.values_list("pk", "kind")}
    for facet in ("topic", "place"):
        link = getattr(FactCard, f"{facet}s").through
        for card, slug in link.objects.filter(factcard__in=list(found)).values_list(
            "factcard", f"{facet}__slug"
        ):
            found[card].add((facet, slug))
    for card, outlet, byline, relation in Citation.objects.filter(
        card__in=list(found)
    ).values_list("card", "source__outlet", "source__byline", "relation"):
        found[card].update(("outlet", name) for name in (outlet, byline) if name)
        if relation == "differs":
            found[card].add(("disagree", "on"))
    counts = {}
    rows = []
    for card, pairs in found.items():
        for pair in pairs:
            counts[pair] = counts.get(pair, 0) + 1
            rows.append(CardFacet(card_id=card, facet=pair[0], option=pair[1]))
    CardFacet.objects.bulk_create(rows, batch_size=5000)
    FacetCount.objects.bulk_create(
        [FacetCount(facet=f, option=o, cards=n) for (f, o), n in counts.items()]
    )


class Migration(migrations.Migration):

    dependencies = [
        ('factcards', '0011_slug_help'),
    ]

    operations = [
        migrations.CreateModel(
            name='FacetCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('facet', models.CharField(max_length=10)),
                ('option', models.CharField(max_length=200)),
                ('cards', models.IntegerField(default=0)),
            ],
            options={
                'verbose_name': 'published cards per facet option',
                'constraints': [models.UniqueConstraint(fields=('facet', 'option'), name='facet_count_once')],
            },
        ),
        migrations.CreateModel(
            name='CardFacet',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('facet', models.CharField(max_length=10)),
                ('option', models.CharField(max_length=200)),
                ('card', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='factcards.factcard')),
            ],
            options={
                'verbose_name': 'facet of a published card',
                'indexes': [models.Index(fields=['facet', 'option', 'card'], name='card_facet_option')],
                'constraints': [models.UniqueConstraint(fields=('card', 'facet', 'option'), name='card_facet_once')],
            },
        ),
        migrations.RunPython(count_published_cards, migrations.RunPython.noop),
    ]
