"""Full-text search of published cards: one entry point, the database's own engine behind it.

PostgreSQL: a generated `tsvector` column over the card's search text, GIN-indexed, ranked by
ts_rank. SQLite: an FTS5 table over the same text, kept in sync by triggers, ranked by bm25.
Both stem (Porter / English snowball) and match each word as a prefix, for search-as-you-type.
The search text (statement, value, context and every excerpt) is written with the card.
"""

import re

from django.db import connection
from django.db.models import FloatField
from django.db.models.expressions import RawSQL

WORD = re.compile(r"\w+", re.UNICODE)
LANGUAGE_CONFIG = "english"  # PostgreSQL's stemming; SQLite's FTS5 uses Porter's, also English


def words_of(text):
    return WORD.findall(text.lower())[:20]


def matching(queryset, text):
    """The cards of `queryset` whose text has every word of `text` (each as a prefix). A
    self-contained subquery, so the result nests anywhere (facet counts, pagination)."""
    words = words_of(text)
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        found = (
            "SELECT id FROM factcards_factcard "
            f"WHERE search_vector @@ to_tsquery('{LANGUAGE_CONFIG}', %s)"
        )
        return queryset.filter(pk__in=RawSQL(found, [tsquery(words)]))
    found = "SELECT rowid FROM factcards_search WHERE factcards_search MATCH %s"
    return queryset.filter(pk__in=RawSQL(found, [fts5_query(words)]))


def by_relevance(queryset, text):
    """`queryset` (already `matching(text)`), best matches first."""
    words = words_of(text)
    if connection.vendor == "postgresql":
        rank = f"ts_rank(factcards_factcard.search_vector, to_tsquery('{LANGUAGE_CONFIG}', %s))"
        return queryset.annotate(
            relevance=RawSQL(rank, [tsquery(words)], output_field=FloatField())
        ).order_by("-relevance", "-published_at", "-pk")
    # A join, so that FTS5 drives: MATCH finds the rows and bm25 ranks them. (Django has no
    # expression for joining a virtual table.)
    return queryset.extra(
        tables=["factcards_search"],
        where=["factcards_search.rowid = factcards_factcard.id", "factcards_search MATCH %s"],
        params=[fts5_query(words)],
        select={"relevance": "bm25(factcards_search)"},
        order_by=["relevance", "-published_at", "-id"],
    )


def tsquery(words):
    return " & ".join(f"{word}:*" for word in words)


def fts5_query(words):
    return " ".join(f'"{word}"*' for word in words)


SQLITE_SETUP = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS factcards_search USING fts5(search_text, "
    "content='factcards_factcard', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS factcards_search_insert AFTER INSERT ON factcards_factcard "
    "BEGIN INSERT INTO factcards_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS factcards_search_delete AFTER DELETE ON factcards_factcard "
    "BEGIN INSERT INTO factcards_search(factcards_search, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS factcards_search_update AFTER UPDATE OF search_text "
    "ON factcards_factcard BEGIN "
    "INSERT INTO factcards_search(factcards_search, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO factcards_search(rowid, search_text) VALUES (new.id, new.search_text); END",
]
SQLITE_TEARDOWN = [
    "DROP TRIGGER IF EXISTS factcards_search_insert",
    "DROP TRIGGER IF EXISTS factcards_search_delete",
    "DROP TRIGGER IF EXISTS factcards_search_update",
    "DROP TABLE IF EXISTS factcards_search",
]
POSTGRESQL_SETUP = [
    "ALTER TABLE factcards_factcard ADD COLUMN IF NOT EXISTS search_vector tsvector "
    f"GENERATED ALWAYS AS (to_tsvector('{LANGUAGE_CONFIG}', search_text)) STORED",
    "CREATE INDEX IF NOT EXISTS factcards_factcard_search ON factcards_factcard "
    "USING gin (search_vector)",
]
POSTGRESQL_TEARDOWN = [
    "DROP INDEX IF EXISTS factcards_factcard_search",
    "ALTER TABLE factcards_factcard DROP COLUMN IF EXISTS search_vector",
]


def install(schema_editor, teardown=False):
    """Create (or drop) the engine's search structures: run by a migration."""
    vendor = schema_editor.connection.vendor
    statements = {
        ("sqlite", False): SQLITE_SETUP,
        ("sqlite", True): SQLITE_TEARDOWN,
        ("postgresql", False): POSTGRESQL_SETUP,
        ("postgresql", True): POSTGRESQL_TEARDOWN,
    }.get((vendor, teardown), [])
    for statement in statements:
        schema_editor.execute(statement)


def rebuild_index():
    """Fill the search text of every card from its fields and excerpts, in a few statements
    (after a bulk load); the engine's index follows by trigger or generated column."""
    sqlite = connection.vendor == "sqlite"
    aggregate = "group_concat(excerpt, ' ')" if sqlite else "string_agg(excerpt, ' ')"
    concat = " || ' ' || ".join(
        f"COALESCE({column}, '')"
        for column in ("statement", "unit", "speaker", "quotation", "document_title", "context")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE factcards_factcard SET search_text = {concat} || ' ' || COALESCE("
            f"(SELECT {aggregate} FROM factcards_citation c "
            "WHERE c.card_id = factcards_factcard.id), '')"
        )
