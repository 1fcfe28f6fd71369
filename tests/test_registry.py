"""The embed registry: which articles show each card, counted without a database write."""

import io
import json
import threading
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from factcards import registry
from factcards.models import ArticleUse, CmsClient
from factcards.registry import GRACE, flush

from .factories import FactCardFactory, published_card

ARTICLE = "https://news.example.org/2026/12/withdrawal"


@pytest.fixture
def card(db, registry_buffer):
    return published_card(slug="peacekeepers")


def report(client, url, slug="peacekeepers"):
    return client.post(reverse("registry_seen"), {"card": slug, "url": url})


def flushed():
    """Flush as the worker does once the current window has closed."""
    return flush(up_to=registry.clock() + settings.FACTCARDS_REGISTRY_WINDOW + GRACE)


def test_a_reported_article_is_in_the_cards_registry_after_the_flush(client, card):
    assert report(client, ARTICLE).status_code == 204
    assert not ArticleUse.objects.exists()  # the report itself wrote nothing
    flushed()
    use = ArticleUse.objects.get()
    assert (use.card, use.url, use.how, use.views) == (card, ARTICLE, "embed", 1)
    assert use.first_seen and use.last_seen


def test_tracking_parameters_and_the_fragment_are_dropped(client, card):
    report(client, ARTICLE + "?utm_source=twitter&id=7&fbclid=abc#comments")
    report(client, ARTICLE.replace("https://news.", "https://NEWS.") + "?id=7&utm_medium=social")
    flushed()
    use = ArticleUse.objects.get()
    assert use.url == ARTICLE + "?id=7"
    assert use.views == 2


def test_views_add_up_across_flushes(client, card, monkeypatch):
    start = time.time()
    monkeypatch.setattr(registry, "clock", lambda: start)
    report(client, ARTICLE)
    flushed()
    first = ArticleUse.objects.get()
    later = start + settings.FACTCARDS_REGISTRY_WINDOW * 3
    monkeypatch.setattr(registry, "clock", lambda: later)
    report(client, ARTICLE)
    report(client, ARTICLE)
    flushed()
    use = ArticleUse.objects.get()
    assert use.views == 3
    assert use.first_seen == first.first_seen
    assert use.last_seen > first.last_seen


def test_a_second_flush_counts_nothing_twice(client, card):
    report(client, ARTICLE)
    flushed()
    flushed()
    assert ArticleUse.objects.get().views == 1


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "https://news.example.org/" + "a" * 10_000,
        "http://192.168.1.20/intranet/story",
        "http://10.0.0.8/story",
        "http://127.0.0.1:8000/story",
        "http://[::1]/story",
        "http://2130706433/story",
        "http://localhost:3000/story",
        "http://cms.newsroom.internal/story",
        "http://intranet/story",
        "ftp://news.example.org/story",
        "https://user:secret@news.example.org/story",
        "not a url",
        "",
    ],
)
def test_garbage_is_stored_as_nothing(client, card, url):
    assert report(client, url).status_code == 204  # a beacon reads no answer
    flushed()
    assert not ArticleUse.objects.exists()


def test_a_report_from_a_site_not_listed_is_ignored(client, card, settings):
    settings.FACTCARDS_EMBED_REPORT_ORIGINS = ["https://news.example.org", "https://*.example.com"]
    report(client, "https://elsewhere.example.net/copied")
    report(client, "http://news.example.org/plain-http")
    report(client, "https://blog.example.com/listed-by-domain")
    report(client, ARTICLE)
    flushed()
    assert sorted(ArticleUse.objects.values_list("url", flat=True)) == [
        "https://blog.example.com/listed-by-domain",
        ARTICLE,
    ]


def test_a_slug_that_is_no_card_on_record_is_stored_as_nothing(client, card):
    draft = FactCardFactory(slug="still-a-draft")
    report(client, ARTICLE, slug="no-such-card")
    report(client, ARTICLE, slug=draft.slug)
    report(client, ARTICLE, slug="<script>")
    flushed()
    assert not ArticleUse.objects.exists()


def test_a_report_larger_than_a_few_kilobytes_is_not_read(client, card):
    response = client.post(
        reverse("registry_seen"), {"card": "peacekeepers", "url": ARTICLE, "pad": "x" * 8000}
    )
    assert response.status_code == 204
    flushed()
    assert not ArticleUse.objects.exists()


def test_a_report_makes_no_database_query(client, card, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert report(client, ARTICLE).status_code == 204


def test_the_embed_page_makes_no_more_queries_with_the_registry_and_writes_nothing(client, card):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("card_embed", args=[card.slug])).status_code == 200
        # The publication counter is read at most once a second (main's state cache), so
        # whether a request reads it depends on the clock: it is left out of the comparison.
        sql = [q["sql"] for q in captured.captured_queries]
        return [q for q in sql if "factcards_publication" not in q]

    queries()
    before = queries()
    report(client, ARTICLE)  # the registry now counts this card in this article
    during = queries()
    assert len(during) == len(before)
    assert not [q for q in during if q.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_a_page_of_this_site_is_no_article(client, card):
    report(client, "http://testserver/cards/peacekeepers/")
    flushed()
    assert not ArticleUse.objects.exists()


# --- a CMS registers its articles --------------------------------------------------------


@pytest.fixture
def cms(db):
    client = CmsClient(name="WordPress")
    token = client.new_token()
    client.save()
    return client, token


def register(client, token, **data):
    return client.post(
        reverse("registry_articles"),
        json.dumps(data),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )


def test_a_cms_registers_an_article_with_its_token(client, card, cms):
    _, token = cms
    response = register(client, token, card="peacekeepers", url=ARTICLE + "?utm_source=x")
    assert response.status_code == 201
    assert response.json() == {"card": "peacekeepers", "url": ARTICLE, "created": True}
    use = ArticleUse.objects.get()
    assert (use.card, use.url, use.how, use.cms) == (card, ARTICLE, "cms", cms[0])
    again = register(client, token, card="peacekeepers", url=ARTICLE)
    assert again.status_code == 200 and again.json()["created"] is False
    assert ArticleUse.objects.count() == 1


def test_the_token_is_kept_only_as_a_hash(cms):
    client, token = cms
    stored = CmsClient.objects.filter(pk=client.pk).values().get()
    assert token not in json.dumps(stored, default=str)
    assert CmsClient.for_token(token) == client


@pytest.mark.parametrize("token", [None, "fc_wrong", "Basic abc"])
def test_registering_without_a_valid_token_is_refused(client, card, cms, token):
    response = register(client, token, card="peacekeepers", url=ARTICLE)
    assert response.status_code == 401
    assert "token" in response.json()["error"]
    assert not ArticleUse.objects.exists()


def test_a_client_turned_off_is_refused(client, card, cms):
    cms_client, token = cms
    cms_client.active = False
    cms_client.save()
    assert register(client, token, card="peacekeepers", url=ARTICLE).status_code == 401


@pytest.mark.parametrize(
    "data, status, says",
    [
        ({"card": "peacekeepers", "url": "javascript:alert(1)"}, 400, "http"),
        ({"card": "peacekeepers", "url": "http://192.168.0.4/a"}, 400, "IP address"),
        ({"card": "peacekeepers"}, 400, "address"),
        ({"card": "no-such-card", "url": ARTICLE}, 404, "no-such-card"),
        ({"url": ARTICLE}, 400, "slug"),
        # From the trial of issue 11: a lone surrogate was a 500; a %-encoded host stored.
        ({"card": "peacekeepers", "url": "https://news.example.org/\ud800"}, 400, "web address"),
        ({"card": "peacekeepers", "url": "https://ex%E2%80%AEample.org/x"}, 400, "site name"),
    ],
)
def test_a_cms_sending_garbage_is_told_why(client, card, cms, data, status, says):
    response = register(client, cms[1], **data)
    assert response.status_code == status
    assert says in response.json()["error"]
    assert not ArticleUse.objects.exists()


def test_a_body_that_is_not_json_is_a_clear_400(client, card, cms):
    response = client.post(
        reverse("registry_articles"),
        "card=peacekeepers",
        content_type="application/json",
        headers={"Authorization": f"Bearer {cms[1]}"},
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


# --- an editor adds an article by hand ------------------------------------------------------


def test_an_editor_adds_an_article_by_hand_and_sees_it_under_used_in(client, card, editor):
    client.force_login(editor)
    add = reverse("admin:factcards_articleuse_add")
    response = client.post(add, {"card": card.pk, "url": ARTICLE + "#top"})
    assert response.status_code == 302, response.context["adminform"].errors
    use = ArticleUse.objects.get()
    assert (use.url, use.how, use.added_by) == (ARTICLE, "editor", editor)
    page = client.get(reverse("admin:factcards_factcard_change", args=[card.pk]))
    used_in = page.content.decode().split('id="article_uses-group"', 1)[1]
    assert ARTICLE in used_in.split("</fieldset>", 1)[0]


def test_adding_a_javascript_url_by_hand_is_refused_with_a_message(client, card, editor):
    client.force_login(editor)
    response = client.post(
        reverse("admin:factcards_articleuse_add"), {"card": card.pk, "url": "javascript:x"}
    )
    assert response.status_code == 200
    assert "valid URL" in response.content.decode() or "http" in response.content.decode()
    assert not ArticleUse.objects.exists()


# --- the periodic flush -------------------------------------------------------------------


@pytest.fixture
def dummy_tasks(settings):
    from django.tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    return default_task_backend


def test_each_flush_enqueues_the_next_for_after_the_window_closes(client, card, dummy_tasks):
    from factcards.registry import flush_registry

    report(client, ARTICLE)
    result = flush_registry.call(
        up_to=registry.clock() + settings.FACTCARDS_REGISTRY_WINDOW + GRACE
    )
    assert result == {"articles": 1}
    [following] = dummy_tasks.results
    assert following.task.name == "flush_registry"
    window = settings.FACTCARDS_REGISTRY_WINDOW
    closes = (registry.window_of(registry.clock()) + 1) * window
    assert following.task.run_after.timestamp() == pytest.approx(closes + GRACE + 1, abs=2)


def test_starting_the_worker_twice_enqueues_one_flush(card, dummy_tasks):
    call_command("flush_registry", "--schedule", stdout=io.StringIO())
    call_command("flush_registry", "--schedule", stdout=io.StringIO())
    assert len(dummy_tasks.results) == 1


def test_a_flush_that_fails_leaves_the_counts_for_the_next(client, card, monkeypatch):
    report(client, ARTICLE)

    def database_down(seen):
        raise ConnectionError("database down")

    monkeypatch.setattr(registry, "save_views", database_down)
    with pytest.raises(ConnectionError):
        flushed()
    monkeypatch.undo()
    flushed()
    assert ArticleUse.objects.get().views == 1


def test_repeat_views_wait_in_memory_a_second_at_most_and_all_are_counted(
    client, card, monkeypatch, registry_buffer
):
    """A report is cheap: a pair this server already counted this window is counted in
    memory, and the sum reaches the cache at its next report a second later."""
    now = [1000.0]
    monkeypatch.setattr(registry, "ticks", lambda: now[0])
    monkeypatch.setattr(registry, "DRAIN_SECONDS", 60)  # no timer fires during the test
    start = time.time()
    monkeypatch.setattr(registry, "clock", lambda: start)
    key = registry.pair_key(registry.window_of(start), "peacekeepers", ARTICLE)
    for _ in range(3):
        report(client, ARTICLE)
    assert registry_buffer.get(key) == 1  # the first view, at once; two held here
    now[0] += 61
    report(client, ARTICLE)
    assert registry_buffer.get(key) == 3  # the two held, added; the fourth held
    flushed()
    assert ArticleUse.objects.get().views == 4


def test_views_held_in_memory_reach_the_cache_even_if_no_report_follows(
    client, card, registry_buffer
):
    """A burst of views, then nothing: the process adds what it holds a second later."""
    start = time.time()
    key = registry.pair_key(registry.window_of(start), "peacekeepers", ARTICLE)
    for _ in range(5):
        report(client, ARTICLE)
    deadline = time.monotonic() + 5
    while registry_buffer.get(key) != 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert registry_buffer.get(key) == 5


def test_reports_at_the_same_moment_over_the_file_cache_are_all_kept(card, settings, tmp_path):
    """From the trial of issue 11: over the file cache (one machine, no Redis), reports at
    once from several threads overwrote one another's slots, and half the articles were
    never learnt."""
    settings.CACHES = {
        **settings.CACHES,
        "registry": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "buffer"),
        },
    }
    urls = [f"https://news.example.org/2026/story-{n}" for n in range(120)]

    def send(part):
        for url in part:
            registry.note("peacekeepers", url)

    threads = [threading.Thread(target=send, args=(urls[n::6],)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    flushed()
    assert ArticleUse.objects.count() == 120


def test_one_address_reporting_many_new_articles_is_ignored_past_a_few(
    client, card, settings, registry_buffer
):
    """From the trial of issue 11: a script posted 3,000 made-up articles in half a minute,
    and every one reached the editors' email and the CMS after a correction."""
    settings.FACTCARDS_REGISTRY_NEW_PER_CLIENT = "3/minute"
    answers = [report(client, f"https://news.example.org/made-up-{n}") for n in range(5)]
    assert [a.get("Factcards-Report") for a in answers[:3]] == [None, None, None]
    assert answers[3]["Factcards-Report"] == "ignored: too many new articles from this address"
    # An article already counted is still counted: readers behind one address lose nothing.
    assert report(client, "https://news.example.org/made-up-0").get("Factcards-Report") is None
    other = client.post(
        reverse("registry_seen"),
        {"card": "peacekeepers", "url": ARTICLE},
        REMOTE_ADDR="198.51.100.7",
    )
    assert other.get("Factcards-Report") is None
    flushed()
    assert ArticleUse.objects.count() == 4


def test_a_slug_in_other_capitals_names_the_same_card(client, card, cms):
    """From the trial of issue 11: a slug is the same whatever its case everywhere else."""
    report(client, ARTICLE, slug="PeaceKeepers")
    report(client, ARTICLE, slug="peacekeepers")
    flushed()
    use = ArticleUse.objects.get()
    assert (use.card, use.views) == (card, 2)
    other = "https://news.example.org/2026/12/another"
    assert register(client, cms[1], card="PEACEKEEPERS", url=other).status_code == 201
    assert ArticleUse.objects.filter(card=card).count() == 2
