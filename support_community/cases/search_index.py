"""The search document of every case, kept by the database, and the full-text conditions that read it.

One row of ``case_search`` per case, written by triggers on ``cases`` and ``case_messages`` in
the transaction that opens a case, adds, edits or deletes a message, or renames it (bulk inserts
and SQL by hand included): searching reads one row per case instead of every message.

- ``customer_text``: the case number, the subject and the messages customers see (the
  description and the replies). A customer's search looks at this alone, so a customer never
  finds a case by the words of an internal note.
- ``agent_text``: what only agents search besides: the internal notes and the organization's
  name. (Its customer and enterprise numbers are not copied into every case: the agents'
  search finds the organizations by them in ``person_organizations``, Panda's lists as the
  community keeps them, in any spelling, see ``services.queue.search_condition``.)

PostgreSQL keeps a ``tsvector`` of each (the agents' one holds both texts) with GIN indexes:
the words as written (``simple``) and stemmed in the case's language (the opener's: Dutch,
French or English), so "betaling" finds "betalingen" in a Dutch case. A query asks for every
word, in any of those forms, whole (no prefixes: PostgreSQL cannot tell how many cases a prefix
finds, and would walk every case for a rare one). SQLite keeps the two texts in an FTS5 table
(``case_search_fts``, external content: the texts are stored once) with the same query, the
words as written. ``community cases reindex`` rebuilds
every document (after a restore, say).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import g
from sqlalchemy import (
    DDL,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    Uuid,
    any_,
    bindparam,
    cast,
    event,
    false,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from support_community.extensions import Base, db

# Words a search uses at most: more find nothing more useful.
WORDS_MAX = 8
LANGUAGE_CONFIGURATIONS = {"nl": "dutch", "fr": "french", "en": "english"}
# A query is tried as written and stemmed in each language; a case's vector holds its words both
# as written and stemmed in its own language.
QUERY_CONFIGURATIONS = ("simple", "dutch", "french", "english")


class CaseSearch(Base):
    """What searches read of one case (kept by triggers, never written by the services)."""

    __tablename__ = "case_search"

    # An integer key of its own: SQLite's full-text table refers to rows by it (a rowid, which
    # VACUUM would renumber in a table without one).
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    language: Mapped[str] = mapped_column(String(5), default="en")
    # SQLite only (empty on PostgreSQL, whose rows hold the vectors alone: narrower rows, fewer pages
    # to read for a word found in thousands of cases).
    customer_text: Mapped[str] = mapped_column(Text, default="")
    agent_text: Mapped[str] = mapped_column(Text, default="")
    # PostgreSQL only (empty on SQLite, where case_search_fts indexes the texts).
    customer_vector: Mapped[Any] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"), nullable=True)
    agent_vector: Mapped[Any] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"), nullable=True)


# -- the documents: one SELECT that both dialects' triggers and the reindex share --------------
def document_select(where: str, dialect: str) -> str:
    """``SELECT case_id, language, customer_text, agent_text FROM cases c … WHERE <where>``.

    The language (the opener's) matters on PostgreSQL only: SQLite's documents read no other
    table than the case's messages, so rebuilding ``people`` there (a migration's batch copy)
    leaves the triggers valid.
    """
    if dialect == "postgresql":
        language = "coalesce((SELECT p.locale FROM people p WHERE p.sub = c.opened_by_sub), 'en')"
        messages = "string_agg(m.body, ' ' ORDER BY m.created_at)"
    else:
        language, messages = "'en'", "group_concat(m.body, ' ')"

    def bodies(kinds: str) -> str:
        return f"(SELECT {messages} FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ({kinds}))"

    return f"""
        SELECT c.id AS case_id, {language} AS language,
               c.number || ' ' || c.subject || ' ' || coalesce({bodies("'description', 'reply'")}, '')
                   AS customer_text,
               coalesce({bodies("'internal_note'")}, '') || ' ' || c.organization_name AS agent_text
        FROM cases c
        WHERE {where}"""


_PG_CONFIGURATION = (
    "CASE {language} WHEN 'nl' THEN 'dutch'::regconfig WHEN 'fr' THEN 'french'::regconfig"
    " WHEN 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END"
)


def _pg_vector(language: str, body: str) -> str:
    configuration = _PG_CONFIGURATION.format(language=language)
    return f"to_tsvector('simple'::regconfig, {body}) || to_tsvector({configuration}, {body})"


def upsert_statement(where: str, dialect: str) -> str:
    """Write (or rewrite) the documents of the cases ``where`` selects (``c`` is the case)."""
    if dialect == "postgresql":
        return f"""
        INSERT INTO case_search AS s (case_id, language, customer_text, agent_text, customer_vector, agent_vector)
        SELECT d.case_id, d.language, '', '',
               {_pg_vector("d.language", "d.customer_text")},
               {_pg_vector("d.language", "d.customer_text || ' ' || d.agent_text")}
        FROM ({document_select(where, dialect)}) d
        ON CONFLICT (case_id) DO UPDATE SET language = EXCLUDED.language, customer_text = EXCLUDED.customer_text,
            agent_text = EXCLUDED.agent_text, customer_vector = EXCLUDED.customer_vector,
            agent_vector = EXCLUDED.agent_vector"""
    return f"""
        INSERT INTO case_search (case_id, language, customer_text, agent_text)
        {document_select(where, dialect)}
        ON CONFLICT (case_id) DO UPDATE SET language = excluded.language, customer_text = excluded.customer_text,
            agent_text = excluded.agent_text"""


FTS_TABLE = "case_search_fts"
FTS_CREATE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "customer_text, agent_text, content='case_search', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')"
)


def triggers(dialect: str) -> tuple[str, ...]:
    """The statements that create the triggers keeping ``case_search`` (and SQLite's FTS table)."""
    if dialect == "postgresql":
        return (
            f"""
            CREATE OR REPLACE FUNCTION case_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                target uuid;
            BEGIN
                IF TG_TABLE_NAME = 'cases' THEN
                    target := NEW.id;
                ELSIF TG_OP = 'DELETE' THEN
                    target := OLD.case_id;
                ELSE
                    target := NEW.case_id;
                END IF;
                -- Two messages of one case written at once: the second waits here for the first's
                -- commit, then reads both (its document would miss the first one's words otherwise).
                PERFORM 1 FROM case_search WHERE case_id = target FOR UPDATE;
                {upsert_statement("c.id = target", "postgresql")};
                IF TG_TABLE_NAME = 'case_messages' AND TG_OP = 'UPDATE' THEN
                    -- (nested: the row of ``cases`` has no case_id to compare)
                    IF OLD.case_id <> NEW.case_id THEN
                        target := OLD.case_id;
                        PERFORM 1 FROM case_search WHERE case_id = target FOR UPDATE;
                        {upsert_statement("c.id = target", "postgresql")};
                    END IF;
                END IF;
                RETURN NULL;
            END
            $$
            """,
            "CREATE TRIGGER case_search_on_case_insert AFTER INSERT ON cases"
            " FOR EACH ROW EXECUTE FUNCTION case_search_refresh()",
            "CREATE TRIGGER case_search_on_case_update"
            " AFTER UPDATE OF number, subject, organization_id, organization_name, opened_by_sub ON cases"
            " FOR EACH ROW EXECUTE FUNCTION case_search_refresh()",
            "CREATE TRIGGER case_search_on_message AFTER INSERT OR UPDATE OF body, kind, case_id OR DELETE"
            " ON case_messages FOR EACH ROW EXECUTE FUNCTION case_search_refresh()",
        )
    refresh_new_case = upsert_statement("c.id = NEW.id", dialect)
    refresh_new = upsert_statement("c.id = NEW.case_id", dialect)
    refresh_old = upsert_statement("c.id = OLD.case_id", dialect)
    return (
        FTS_CREATE,
        f"""CREATE TRIGGER IF NOT EXISTS case_search_fts_insert AFTER INSERT ON case_search BEGIN
            INSERT INTO {FTS_TABLE} (rowid, customer_text, agent_text)
            VALUES (NEW.id, NEW.customer_text, NEW.agent_text);
        END""",
        f"""CREATE TRIGGER IF NOT EXISTS case_search_fts_delete AFTER DELETE ON case_search BEGIN
            INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, customer_text, agent_text)
            VALUES ('delete', OLD.id, OLD.customer_text, OLD.agent_text);
        END""",
        f"""CREATE TRIGGER IF NOT EXISTS case_search_fts_update AFTER UPDATE ON case_search BEGIN
            INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, customer_text, agent_text)
            VALUES ('delete', OLD.id, OLD.customer_text, OLD.agent_text);
            INSERT INTO {FTS_TABLE} (rowid, customer_text, agent_text)
            VALUES (NEW.id, NEW.customer_text, NEW.agent_text);
        END""",
        f"""CREATE TRIGGER IF NOT EXISTS case_search_on_case_insert AFTER INSERT ON cases BEGIN
            {refresh_new_case};
        END""",
        f"""CREATE TRIGGER IF NOT EXISTS case_search_on_case_update
        AFTER UPDATE OF number, subject, organization_id, organization_name, opened_by_sub ON cases BEGIN
            {refresh_new_case};
        END""",
        f"""CREATE TRIGGER IF NOT EXISTS case_search_on_message_insert AFTER INSERT ON case_messages BEGIN
            {refresh_new};
        END""",
        f"""CREATE TRIGGER IF NOT EXISTS case_search_on_message_update
        AFTER UPDATE OF body, kind, case_id ON case_messages BEGIN
            {refresh_new};
            {refresh_old};
        END""",
        f"""CREATE TRIGGER IF NOT EXISTS case_search_on_message_delete AFTER DELETE ON case_messages BEGIN
            {refresh_old};
        END""",
    )


# GIN indexes of the vectors on PostgreSQL; on SQLite indexes of two empty columns (kept so both
# schemas match the models).
Index("ix_case_search_customer", CaseSearch.customer_vector, postgresql_using="gin")
Index("ix_case_search_agent", CaseSearch.agent_vector, postgresql_using="gin")

# The triggers need every table they read: they are created once the whole schema is.
for _dialect in ("postgresql", "sqlite"):
    for _statement in triggers(_dialect):
        event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect=_dialect))
# SQLite's full-text table and its shadow tables are not the models' to describe (migrations leave them be).
Base.metadata.info.setdefault("unmanaged_tables", set()).add(FTS_TABLE)
event.listen(Base.metadata, "before_drop", DDL(f"DROP TABLE IF EXISTS {FTS_TABLE}").execute_if(dialect="sqlite"))


def reindex() -> int:
    """Write every case's document again (``community cases reindex``); the caller commits. Returns the cases."""
    dialect = db.session.get_bind().dialect.name
    db.session.execute(text("DELETE FROM case_search"))
    if dialect == "sqlite":
        db.session.execute(text(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('delete-all')"))
    db.session.execute(text(upsert_statement("1 = 1", dialect)))
    return int(db.session.scalar(select(func.count()).select_from(CaseSearch)) or 0)


# -- queries ---------------------------------------------------------------------------------
_BE_PREFIX = re.compile(r"\bBE\s?(?=\d)", re.IGNORECASE)
_DOTTED_DIGITS = re.compile(r"(?<=\d)\.(?=\d{3}(?!\d))")
_WORD = re.compile(r"\w+")


def query_terms(q: str) -> list[str]:
    """The words of a search, lower case: an enterprise number in any spelling (``BE 0403.170.701``)
    becomes its digits, everything that is not a letter or digit separates words."""
    q = _BE_PREFIX.sub("", q)
    q = _DOTTED_DIGITS.sub("", q)
    return [term.lower() for term in _WORD.findall(q)][:WORDS_MAX]


def _postgres_query(terms: list[str]) -> str:
    return " & ".join(f"'{term}'" for term in terms)


def _fts5_query(terms: list[str]) -> str:
    return " AND ".join(f'"{term}"' for term in terms)


# A search whose words are in fewer cases than this (PostgreSQL) reads those cases first: see ``matching_cases``.
COMMON_FROM = 500


def _postgres_search(terms: list[str], vector: str) -> tuple[str, int]:
    """The query in each of its forms (as written, stemmed in Dutch, French, English), each form once,
    and how many cases it finds, up to ``COMMON_FROM`` (two statements).

    The search then carries its query as a value the planner reads (four copies of one form
    would make a word look four times as common as it is), and is written for what it finds:
    PostgreSQL's statistics know the common words only, and take any other word for one in a
    few hundred cases (walking a million cases' newest first to find the three that hold it).
    """
    # The query as a value the planner sees (``_plan_for_these_values``): it reads the words' index for
    # a rare word, and for a common one stops reading the table after COMMON_FROM cases.
    db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    # A page searches twice (its counts, then its cases): the forms and their count once.
    known: dict[tuple[tuple[str, ...], str], tuple[str, int]] = g.setdefault("_postgres_searches", {})
    key = (tuple(terms), vector)
    if key in known:
        return known[key]
    forms = " UNION ".join(
        f"SELECT to_tsquery('{configuration}'::regconfig, :words)::text AS form"
        for configuration in QUERY_CONFIGURATIONS
    )
    statement = text(f"SELECT DISTINCT form FROM ({forms}) f WHERE form <> '' ORDER BY form")
    found = list(db.session.scalars(statement, {"words": _postgres_query(terms)}))
    if not found:
        known[key] = ("", 0)
        return known[key]
    tsquery = " | ".join(f"( {form} )" for form in found)
    counted = text(
        f"SELECT count(*) FROM (SELECT 1 FROM case_search WHERE {vector} @@ CAST(:tsquery AS tsquery) LIMIT :common) f"
    )
    known[key] = (tsquery, int(db.session.scalar(counted, {"tsquery": tsquery, "common": COMMON_FROM}) or 0))
    return known[key]


def matching_cases(
    q: str, *, agent: bool, name: str = "search_terms", per_case: bool = False, seek: bool = False
) -> ColumnElement[bool]:
    """``cases.id`` among the cases whose document holds every word of ``q``: customers' text only,
    or with ``agent`` also internal notes and the organization's name.

    ``name`` is the bound value's name (two searches in one statement need two). ``per_case``
    (the other conditions leave a few hundred cases at most, or the words are in many of them):
    SQLite checks each case it walks instead of first reading every case the words find and
    sorting them (PostgreSQL's planner chooses itself). ``seek`` (with ``per_case``, the other
    conditions leave at most a couple of thousand cases): each case's document is looked up in
    the words' index by its row id, where otherwise the words' documents are gathered once (for
    a word in 125,000 documents: 16 ms gathered, against 1 ms for 50 cases looked up, and 20 ms
    for 1,000; gathering wins when thousands of cases are walked).
    """
    from support_community.cases.models import Case

    terms = query_terms(q)
    if not terms:
        return false()
    if db.session.get_bind().dialect.name == "postgresql":
        vector = CaseSearch.agent_vector if agent else CaseSearch.customer_vector
        tsquery, found = _postgres_search(terms, vector.key)
        if not tsquery:
            return false()
        condition = vector.op("@@")(cast(bindparam(name, tsquery), TSQUERY))
        documents = select(CaseSearch.case_id).where(condition)
        if found < COMMON_FROM:
            # A rare word: its few cases first (from the words' index), then their order.
            return Case.id == any_(func.array(documents.scalar_subquery()))
        # A common word: the planner walks the list's order and checks each case's document.
        return Case.id.in_(documents)
    fts = table(FTS_TABLE, literal_column("rowid"))
    expression = _fts5_query(terms)
    if not agent:
        expression = f"customer_text : ({expression})"
    matched = literal_column(FTS_TABLE).op("MATCH")(bindparam(name, expression))
    rows: Select[Any] = select(literal_column("rowid")).select_from(fts).where(matched)
    if per_case and seek:
        indexed = rows.where(literal_column(f"{FTS_TABLE}.rowid") == CaseSearch.id)
        return select(CaseSearch.id).where(CaseSearch.case_id == Case.id, indexed.exists()).exists()
    if per_case:
        document = select(CaseSearch.id).where(CaseSearch.case_id == Case.id, CaseSearch.id.in_(rows))
        return document.exists()
    return Case.id.in_(select(CaseSearch.case_id).where(CaseSearch.id.in_(rows)))


def join_matching(query: Select, q: str, *, agent: bool = False, name: str = "search_terms") -> Select | None:
    """SQLite: ``query`` (of ``cases``) joined to the documents holding every word of ``q``, driven from the
    full-text table (None elsewhere, or without words).

    The same cases as ``matching_cases``, found one by one in the order of the words' index: a
    count with a LIMIT stops after that many, where ``matching_cases`` first gathers every case the
    words find (12,500 for a common word: 23 ms against 12 for counting the first 1,001).
    """
    from support_community.cases.models import Case

    terms = query_terms(q)
    if not terms or db.session.get_bind().dialect.name != "sqlite":
        return None
    expression = _fts5_query(terms)
    if not agent:
        expression = f"customer_text : ({expression})"
    fts = table(FTS_TABLE, literal_column("rowid"))
    matched = literal_column(FTS_TABLE).op("MATCH")(bindparam(name, expression))
    return (
        query.join(CaseSearch, CaseSearch.case_id == Case.id)
        .join(fts, literal_column(f"{FTS_TABLE}.rowid") == CaseSearch.id)
        .where(matched)
    )
