"""Cards in and out: export_cards, import_cards (JSON Lines) and the admin's CSV export."""

import csv
import importlib
import io
import json
import os
import stat

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse

from factcards.models import Citation, Correction, FactCard, Source, Topic, WorkflowError

from .factories import CitationFactory, FactCardFactory, SourceFactory, UserFactory, publish

# What an import must change, and nothing else: the card becomes a draft of the importing
# user, so the workflow's record (status, when and by whom it was published) starts again.
WORKFLOW_KEYS = {"status", "published_at", "revised_at", "created_by", "published_by"}


def export(*args):
    out = io.StringIO()
    call_command("export_cards", *args, stdout=out, stderr=io.StringIO())
    return [json.loads(line) for line in out.getvalue().splitlines()]


def run_import(path, username, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_cards", str(path), "--user", username, *args, stdout=out, stderr=err)
    except CommandError as error:
        return None, err.getvalue() + str(error)
    return out.getvalue(), err.getvalue()


def write_lines(path, lines):
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (FactCard, Citation, Source, Correction, Topic)
    }


def test_export_then_import_into_an_empty_database_then_export_gives_the_same_cards(
    transactional_db, editorial_groups, tmp_path
):
    call_command("load_demo", verbosity=0)
    # A correction and a retraction on record, so that both travel too.
    editor, other = UserFactory(group="Editors"), UserFactory(group="Editors")
    card = FactCard.objects.get(slug="peacekeeping-contingent-size")
    revision = card.start_revision(editor)
    revision.context = "Agreed in November 2020."
    revision.statement = card.statement.replace("1,960", "1,960 (agreed)")
    revision.correction_note = "The statement now says the number was agreed."
    revision.save(by=editor)
    revision.submit(editor)
    revision.publish(other)
    FactCard.objects.get(slug="galuzin-modalities").retract(other, "Misattributed.")
    before = export()
    assert len(before) == FactCard.objects.on_record().count() > 20
    path = write_lines(tmp_path / "cards.jsonl", before)

    call_command("flush", "--no-input", verbosity=0)  # an empty database
    importlib.import_module("factcards.migrations.0002_groups").create_groups(apps, None)
    UserFactory(username="importer", group="Reporters")
    assert FactCard.objects.count() == 0
    out, err = run_import(path, "importer")
    assert out.startswith(f"Imported {len(before)} cards as drafts of importer"), err

    after = export("--all")
    assert [line["slug"] for line in after] == [line["slug"] for line in before]
    for old, new in zip(before, after, strict=True):
        # Every field a card says, its topics, places, citations with their sources (full
        # text included) and corrections: equal.
        assert {k: v for k, v in new.items() if k not in WORKFLOW_KEYS} == {
            k: v for k, v in old.items() if k not in WORKFLOW_KEYS
        }, old["slug"]
        assert (new["status"], new["published_at"], new["published_by"]) == ("draft", None, None)
        assert new["created_by"] == "importer"
    assert any(line["corrections"] for line in after)
    assert all(not FactCard.objects.get(slug=line["slug"]).is_locked for line in after)


@pytest.fixture
def importer(db):
    return UserFactory(username="rita", group="Reporters")


def card_line(slug="new-card", **fields):
    return {
        "slug": slug,
        "statement": f"A card called {slug}.",
        "kind": "figure",
        "value": "2000",
        "unit": "peacekeepers",
        "topics": [{"slug": "mission", "name": "Mission"}],
        "citations": [
            {
                "excerpt": "About 2,000 peacekeepers.",
                "relation": "supports",
                "source": {"title": "A report", "outlet": "Agency", "url": "https://ex.org/1"},
            }
        ],
        **fields,
    }


def test_a_malformed_line_is_rejected_with_its_number_and_nothing_is_imported(importer, tmp_path):
    lines = [card_line("first"), card_line("second"), card_line("third")]
    del lines[2]["statement"]
    before = counts()
    out, err = run_import(write_lines(tmp_path / "cards.jsonl", lines), "rita")
    assert out is None
    assert "line 3: statement: This field is required." in err
    assert "nothing was imported" in err
    assert counts() == before


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not JSON:"),
        ('["a", "list"]', "line 2: a line must be a JSON object"),
        (json.dumps(card_line("x", statment="typo")), "line 2: statment: unknown field"),
        (json.dumps(card_line("x", kind="poem")), 'line 2: kind: "poem" is not a valid choice.'),
        (json.dumps(card_line("first")), "line 2: slug: line 1 has this slug already."),
        (
            json.dumps(card_line("x", value_date="2024-05-17", date_precision="month")),
            "line 2: value_date: With month precision the day is unknown",
        ),
        (
            json.dumps(
                card_line(
                    "x",
                    citations=[
                        {
                            "excerpt": "Words",
                            "source": {"title": "T", "url": "javascript:alert(1)"},
                        }
                    ],
                )
            ),
            "line 2: citations[0].source.url: Enter a full web address",
        ),
        (
            json.dumps(
                card_line(
                    "x",
                    citations=[{"excerpt": "W", "relation": "differs", "source": {"title": "T"}}],
                )
            ),
            "line 2: citations[0].stated_value: Say which value this source gives instead.",
        ),
    ],
)
def test_each_kind_of_bad_line_is_named_by_its_number(importer, tmp_path, line, message):
    path = tmp_path / "cards.jsonl"
    path.write_text(json.dumps(card_line("first")) + "\n" + line + "\n", encoding="utf-8")
    before = counts()
    out, err = run_import(path, "rita")
    assert out is None
    assert message in err
    assert counts() == before  # the good first line is not imported either


def test_an_excerpt_missing_from_a_matched_sources_text_rolls_back_the_whole_file(
    importer, tmp_path
):
    SourceFactory(title="Full text", outlet="Agency", url="https://ex.org/t", full_text="Hello.")
    bad = card_line("second")
    bad["citations"][0]["source"] = {"title": "Full text", "outlet": "Agency"}
    before = counts()
    out, err = run_import(write_lines(tmp_path / "c.jsonl", [card_line("first"), bad]), "rita")
    assert out is None
    assert "line 2: citations[0].excerpt:" in err
    assert counts() == before


def test_a_second_import_of_the_same_file_adds_nothing_and_says_so(importer, tmp_path):
    path = write_lines(tmp_path / "cards.jsonl", [card_line("one"), card_line("two")])
    out, _ = run_import(path, "rita")
    assert out.startswith("Imported 2 cards")
    after_first = counts()
    out, _ = run_import(path, "rita")
    assert out.strip() == "Nothing imported: 2 cards in the file, all already here (same slug)."
    assert counts() == after_first


def test_a_card_whose_slug_is_here_in_other_capitals_is_skipped_as_already_here(importer, tmp_path):
    FactCardFactory(slug="armenians-who-left-karabakh")
    before = counts()
    path = write_lines(tmp_path / "cards.jsonl", [card_line("Armenians-Who-Left-Karabakh")])
    out, err = run_import(path, "rita")
    assert out.strip() == "Nothing imported: 1 card in the file, all already here (same slug).", err
    assert counts() == before


def test_two_lines_whose_slugs_differ_only_in_capitals_are_refused(importer, tmp_path):
    lines = [card_line("race-card"), card_line("Race-Card")]
    out, err = run_import(write_lines(tmp_path / "cards.jsonl", lines), "rita")
    assert out is None
    assert "line 2: slug: line 1 has this slug already." in err


def test_a_card_added_by_another_import_meanwhile_is_told_by_its_line_and_nothing_is_imported(
    importer, tmp_path, monkeypatch
):
    """Two imports of one file at once: the other one commits `race-0` after this one found
    the slug free and checked the card, before it writes it (the database then refuses)."""
    check = FactCard.full_clean

    def checked_then_taken(card, *args, **kwargs):
        check(card, *args, **kwargs)
        if card.slug == "race-0":
            FactCardFactory(slug="race-0")  # inside this import's transaction: rolled back too

    monkeypatch.setattr(FactCard, "full_clean", checked_then_taken)
    before = counts()
    lines = [card_line("first"), card_line("race-0"), card_line("third")]
    out, err = run_import(write_lines(tmp_path / "cards.jsonl", lines), "rita")
    assert out is None
    assert (
        "line 2: a card with the slug race-0 was added while this import ran (another import?); "
        "nothing was imported: run it again, and the cards already there are skipped"
    ) in err
    assert "1 problem in" in err
    assert counts() == before


def test_a_line_nested_too_deeply_is_refused_with_its_number(importer, tmp_path):
    path = tmp_path / "cards.jsonl"
    path.write_text("[" * 100000 + "]" * 100000 + "\n", encoding="utf-8")
    before = counts()
    out, err = run_import(path, "rita")
    assert out is None
    assert "line 1: not a card: its JSON is nested too deeply" in err
    assert "nothing was imported" in err
    assert counts() == before


def test_text_with_any_line_separator_in_it_arrives_whole(importer, tmp_path):
    line = card_line("separators", context="One\u2028two\u0085three\nfour")
    path = tmp_path / "cards.jsonl"
    path.write_text("\ufeff" + json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    out, err = run_import(path, "rita")
    assert out, err
    assert FactCard.objects.get(slug="separators").context == "One\u2028two\u0085three\nfour"


def test_imported_cards_are_drafts_of_the_importing_user_whatever_the_file_says(importer, tmp_path):
    line = card_line("claims", status="published", published_at="2024-01-01T00:00:00+00:00")
    line["created_by"] = "somebody-else"
    run_import(write_lines(tmp_path / "cards.jsonl", [line]), "rita")
    card = FactCard.objects.get(slug="claims")
    assert (card.status, card.created_by, card.published_at) == ("draft", importer, None)
    assert card.wrote(importer)  # four-eyes: the importer may not publish it
    assert card.history.first().history_user == importer
    assert not FactCard.objects.published().filter(slug="claims").exists()


def test_sources_already_here_are_matched_not_added_twice(importer, tmp_path):
    here = SourceFactory(title="A report", outlet="Agency", url="https://ex.org/1?utm_source=x")
    other = card_line("two")
    other["citations"][0]["source"] = {"title": "a report ", "outlet": "AGENCY"}
    run_import(write_lines(tmp_path / "cards.jsonl", [card_line("one"), other]), "rita")
    assert Source.objects.count() == 1
    assert set(Citation.objects.values_list("source", flat=True)) == {here.pk}


def test_new_sources_are_added_by_the_importing_user(importer, tmp_path):
    run_import(write_lines(tmp_path / "cards.jsonl", [card_line("one")]), "rita")
    source = Source.objects.get()
    assert source.history.first().history_user == importer


def test_only_a_reporter_or_editor_may_import(db, tmp_path):
    UserFactory(username="visitor")
    path = write_lines(tmp_path / "cards.jsonl", [card_line("one")])
    assert "visitor may not create cards" in run_import(path, "visitor")[1]
    assert "No user 'nobody'" in run_import(path, "nobody")[1]
    assert FactCard.objects.count() == 0


def test_a_long_import_can_show_a_progress_bar(importer, tmp_path):
    path = write_lines(tmp_path / "cards.jsonl", [card_line(f"c{n}") for n in range(5)])
    _, err = run_import(path, "rita", "--progress")
    assert "Importing: 100%" in err


def test_export_writes_the_cards_on_record_by_default_and_others_when_asked(db, editor):
    published = publish(FactCardFactory(slug="b-published"), editor)
    FactCardFactory(slug="a-draft")
    revision = published.start_revision(UserFactory(group="Editors"))
    assert [line["slug"] for line in export()] == ["b-published"]
    assert [line["slug"] for line in export("--status", "draft")] == ["a-draft"]
    assert [line["slug"] for line in export("--all")] == ["a-draft", "b-published"]
    assert revision.slug is None  # a pending revision is never a line of its own


def test_export_to_a_file(db, editor, tmp_path):
    publish(FactCardFactory(slug="one"), editor)
    path = tmp_path / "out.jsonl"
    err = io.StringIO()
    call_command("export_cards", "--output", str(path), stderr=err)
    assert [json.loads(line)["slug"] for line in path.read_text().splitlines()] == ["one"]
    assert "1 card written" in err.getvalue()


def test_an_export_file_is_readable_by_its_owner_only(db, editor, tmp_path):
    """With --all it holds drafts, which only the newsroom may read."""
    publish(FactCardFactory(slug="one"), editor)
    path = tmp_path / "out.jsonl"
    umask = os.umask(0o022)  # the usual: files readable by everyone
    try:
        call_command("export_cards", "--all", "--output", str(path), stderr=io.StringIO())
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# --- the admin's CSV export -----------------------------------------------------------------

CSV_URL = reverse("admin:factcards_factcard_export_csv")


def rows(response):
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    return list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))


@pytest.fixture
def desk(db, reporter, editor):
    source = SourceFactory(outlet="The Moscow Times")
    figure = FactCardFactory(slug="figure", created_by=reporter, citations=0)
    CitationFactory(card=figure, source=source)
    publish(figure, editor)
    FactCardFactory(slug="a-date", kind="date", value=None, unit="", created_by=reporter)
    FactCardFactory(slug="someone-elses", statement='=HYPERLINK("http://evil")')
    return figure


def test_the_csv_holds_the_changelist_with_its_filters(client, desk, reporter):
    client.force_login(reporter)
    everything = rows(client.get(CSV_URL))
    assert {row["slug"] for row in everything} == {"figure", "a-date", "someone-elses"}
    published = rows(client.get(CSV_URL, {"status__exact": "published"}))
    assert [row["slug"] for row in published] == ["figure"]
    (row,) = published
    assert row == {
        "slug": "figure",
        "statement": desk.statement,
        "kind": "Figure",
        "value": "nearly 2,000 peacekeepers",
        "status": "Published",
        "outlets": "The Moscow Times",
        "published": desk.published_at.date().isoformat(),
        "url": "http://testserver/cards/figure/",
    }
    mine = rows(client.get(CSV_URL, {"mine": "drafts"}))
    assert [row["slug"] for row in mine] == ["a-date"]
    assert rows(client.get(CSV_URL, {"q": "HYPERLINK"}))[0]["statement"].startswith("'=")


def test_the_changelist_links_to_its_csv_with_the_same_filters(client, desk, reporter):
    client.force_login(reporter)
    page = client.get(reverse("admin:factcards_factcard_changelist"), {"kind__exact": "date"})
    assert f'href="{CSV_URL}?kind__exact=date"' in page.content.decode()


def test_the_csv_needs_the_right_to_see_the_cards(client, desk):
    assert client.get(CSV_URL).status_code == 302  # to the login page
    client.force_login(UserFactory(username="staff-without-rights"))
    assert client.get(CSV_URL).status_code == 403


def test_a_spreadsheet_formula_behind_spaces_or_a_full_width_sign_is_neutralised():
    from factcards.exchange import cell_safe

    assert cell_safe(" =1+1") == "' =1+1"
    assert cell_safe("＝1+1") == "'＝1+1"
    assert cell_safe("1,960 peacekeepers") == "1,960 peacekeepers"


def test_a_correction_dated_in_the_future_is_refused_with_its_line(importer, tmp_path):
    line = card_line(
        "dated-ahead",
        corrections=[
            {
                "kind": "correction",
                "note": "Forged.",
                "changed": "",
                "created_at": "2099-01-01T00:00:00+00:00",
            }
        ],
    )
    before = counts()
    out, err = run_import(write_lines(tmp_path / "cards.jsonl", [line]), "rita")
    assert out is None
    assert "line 1: corrections" in err and "can't be dated in the future" in err
    assert counts() == before


def test_an_imported_retraction_keeps_its_card_from_ever_being_published(importer, tmp_path):
    """A card retracted where it was exported arrives here as a draft with its notice on
    record: it can't be published again (its retraction would show on a live card), and
    its author can still delete the draft."""
    retraction = {
        "kind": "retraction",
        "note": "Misattributed.",
        "changed": "",
        "created_at": "2024-01-01T00:00:00+00:00",
    }
    line = card_line("withdrawn-elsewhere", corrections=[retraction])
    out, err = run_import(write_lines(tmp_path / "cards.jsonl", [line]), "rita")
    assert out.startswith("Imported 1 card"), err
    card = FactCard.objects.get(slug="withdrawn-elsewhere")
    card.submit(importer)
    with pytest.raises(WorkflowError, match="carries a retraction notice"):
        card.publish(UserFactory(group="Editors"))
    card.refresh_from_db()
    assert card.status == "in_review"
    assert not FactCard.objects.published().filter(slug="withdrawn-elsewhere").exists()

    card.return_to_draft(UserFactory(group="Editors"), "Write a new card instead.")
    FactCard.objects.get(pk=card.pk).delete()
    assert not Correction.objects.filter(note="Misattributed.").exists()
