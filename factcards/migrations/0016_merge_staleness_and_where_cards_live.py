
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('factcards', '0015_merge_0013_where_cards_live_0014_facet_counts'),
        ('factcards', '0015_merge_staleness_and_facets'),
    ]

    operations = [
    ]
