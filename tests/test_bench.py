"""A smoke run of the benchmark's data set, so that `make bench` cannot rot unnoticed."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from factcards.models import Citation, FactCard


@pytest.fixture
def archive(db, tmp_path):
    words = tmp_path / "words.json"
    call_command("bench_data", cards=400, words=words, stdout=io.StringIO())
    return json.loads(words.read_text())


def test_bench_data_builds_a_published_archive_with_the_shape_asked_for(archive):
    published = FactCard.objects.published()
    assert 300 <= published.count() <= 400  # about a tenth stay drafts
    assert Citation.objects.filter(relation="differs").exists()
    per_card = Citation.objects.count() / FactCard.objects.count()
    assert 2.5 <= per_card <= 4.5  # one to six a card
    assert set(archive) == {"common", "middling", "rare"}


def test_the_pages_the_benchmark_times_answer_over_it(client, archive):
    for word in archive.values():
        response = client.get(reverse("card_list"), {"q": word})
        assert response.status_code == 200
        assert response.context["page"].paginator.count >= 1, word
    card = FactCard.objects.published().first()
    for url in [card.get_absolute_url(), reverse("card_embed", args=[card.slug]), "/feed/"]:
        assert client.get(url).status_code == 200, url
