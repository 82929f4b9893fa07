"""Benchmark of the knowledge base's search with 10,000 articles on PostgreSQL (not a test: it prints timings).

    COMMUNITY_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/community .venv/bin/python bench/kb_search.py
    … --articles 10000 --repeat 50 --keep --explain

It never touches the database the URL names: it creates one of its own beside it on the
same server (``<name>_bench_kb``; ``BENCH_DATABASE_URL`` or ``TEST_DATABASE_URL`` may point
at the server instead), fills it with ``--articles`` generated articles, each published in
English, Dutch and French (so every language has that many to search), a tenth of them
for signed-in customers and a tenth internal, runs ``ANALYZE``, then times what the pages
run, each ``--repeat`` times after a warm-up:

- ``/kb?q=…``: the search of one page of results with their snippets (``ts_headline``), for a
  common word, two words, a rare word, a word found nowhere, with a product, per language
  and per audience (a visitor, an agent);
- the new-case form's suggestions for a subject and a description;
- ``/kb``: a page of the list without a search.

It prints p50 and p95 per query and over all searches; the budget is a p95 of 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BUDGET_P95_MS = 50.0
# Words each language's generated articles are made of; the first few are common, "zebrapad" is rare.
WORDS = {
    "en": (
        "organization client invoice ledger export import vat return bank statement payslip printer report "
        "balance credit note journal closing update install access member administrator enterprise number "
        "customer portal support case switch request approve reject invitation account password sign screen "
        "menu button error code quarter year month total amount document file settings user role list"
    ).split(),
    "nl": (
        "organisatie klant factuur grootboek export import btw aangifte bank uittreksel loonbrief printer "
        "rapport balans creditnota dagboek afsluiting update installatie toegang lid beheerder "
        "ondernemingsnummer klantnummer portaal support case wissel aanvraag goedkeuren weigeren uitnodiging "
        "account wachtwoord aanmelden scherm menu knop fout code kwartaal jaar maand totaal bedrag document"
    ).split(),
    "fr": (
        "organisation client facture grand-livre export import tva déclaration banque extrait fiche paie "
        "imprimante rapport bilan note crédit journal clôture mise jour installation accès membre "
        "administrateur numéro entreprise portail support cas changer demande approuver refuser invitation "
        "compte mot passe connexion écran menu bouton erreur code trimestre année mois total montant document"
    ).split(),
}
RARE = {"en": "zebrapad", "nl": "zebrapad", "fr": "zebrapad"}
QUERIES = {
    "en": ("invoice", "enterprise number", "switch organization", "nothingfound"),
    "nl": ("factuur", "ondernemingsnummer klantnummer", "wissel organisatie", "nietsgevonden"),
    "fr": ("facture", "numéro entreprise", "changer organisation", "rienatrouver"),
}
SUGGESTION = {
    "en": (
        "Cannot add my client's organization",
        "I entered the enterprise number and the customer number but get an error code.",
    ),
    "nl": (
        "Organisatie van mijn klant toevoegen lukt niet",
        "Ik gaf het ondernemingsnummer en het klantnummer in maar krijg een foutcode.",
    ),
    "fr": (
        "Impossible d'ajouter l'organisation de mon client",
        "J'ai saisi le numéro d'entreprise et le numéro client mais j'ai un code d'erreur.",
    ),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--explain", action="store_true", help="print the query plan of a search")
    parser.add_argument("--keep", action="store_true", help="keep the filled database for another run")
    return parser.parse_args()


def database_url() -> str:
    url = next(
        (
            os.environ[name]
            for name in ("BENCH_DATABASE_URL", "COMMUNITY_DATABASE_URL", "TEST_DATABASE_URL")
            if os.environ.get(name, "").startswith("postgres")
        ),
        None,
    )
    if not url:
        sys.exit(
            "set COMMUNITY_DATABASE_URL (or BENCH_DATABASE_URL) to a PostgreSQL database: "
            "the benchmark measures PostgreSQL's full-text search"
        )
    return url


def bench_database(admin_url: str, *, reuse: bool) -> tuple[str, bool]:
    import sqlalchemy as sa

    admin = sa.engine.make_url(admin_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{admin.database}_bench_kb"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if exists and not reuse:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = False
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False), bool(exists)


def fill(db, args: argparse.Namespace) -> None:
    """Articles and their three language versions, generated by PostgreSQL itself (seconds, not minutes)."""
    from sqlalchemy import text

    from support_community.cases.services.demo_data import load_demo

    load_demo()
    db.session.commit()
    started = time.perf_counter()
    session = db.session
    session.execute(
        text("""
        INSERT INTO kb_articles (id, product_key, category_id, visibility, created_at, updated_at)
        SELECT gen_random_uuid(), (ARRAY['accounting','invoicing','payroll','portal'])[1 + n % 4], NULL,
               CASE WHEN n % 10 = 0 THEN 'internal' WHEN n % 10 = 1 THEN 'customers' ELSE 'public' END,
               now() - n * interval '1 minute', now() - n * interval '1 minute'
        FROM generate_series(0, :count - 1) n"""),
        {"count": args.articles},
    )
    session.execute(
        text("CREATE TEMPORARY TABLE bench_articles AS SELECT id, row_number() OVER () AS n FROM kb_articles")
    )
    for language, words in WORDS.items():
        vocabulary = "(ARRAY[" + ",".join("'" + word.replace("'", "''") + "'" for word in words) + "])"
        size = len(words)
        # An article is about a topic of eight of the language's words (so a word of the topics is in
        # about one article in seven, two in one in fifty): one word in ten of its text is one of them,
        # the others come from 20,000 made-up words, a few of them very common (Zipf-like, as in real
        # text). One article in 500 has the rare word. Picked by hashes: the same articles every run.
        topic = f"{vocabulary}[1 + abs(hashtext(a.n || 'k' || ((g / 10) % 8))) % {size}]"
        filler = "'w' || floor(20000 * power(abs(hashtext(a.n || 'f' || g))::float / 2147483648, 3))::int"
        session.execute(
            text(f"""
            INSERT INTO kb_translations (id, article_id, language, slug, title, body, plain_text, is_published,
                                         published_revision, latest_revision, first_published_at, updated_at)
            SELECT gen_random_uuid(), a.id, :language, 'article-' || a.n,
                   initcap(w.title) || ' ' || a.n, w.body, w.body, true, 1, 1, now(), now() - a.n * interval '1 minute'
            FROM bench_articles a
            CROSS JOIN LATERAL (
                SELECT
                  (SELECT string_agg({vocabulary}[1 + abs(hashtext(a.n || 'k' || g)) % {size}], ' ')
                     FROM generate_series(0, 2 + a.n % 3) g) AS title,
                  (SELECT string_agg(CASE WHEN g % 10 = 0 THEN {topic} ELSE {filler} END,
                                     CASE WHEN g % 17 = 0 THEN '. ' ELSE ' ' END)
                     FROM generate_series(1, 150 + a.n % 250) g)
                  || CASE WHEN a.n % 500 = 0 THEN ' {RARE[language]}.' ELSE '.' END AS body
            ) w"""),
            {"language": language},
        )
    session.execute(
        text("""
        INSERT INTO kb_revisions (id, translation_id, number, title, body, created_at)
        SELECT gen_random_uuid(), id, 1, title, body, updated_at FROM kb_translations""")
    )
    session.commit()
    print(f"filled in {time.perf_counter() - started:.1f} s; analyzing …", flush=True)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(label: str, run, repeat: int) -> list[float]:
    run()  # warm-up
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    p50, p95 = statistics.median(timings), percentile(timings, 0.95)
    print(f"  {label:<62} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms", flush=True)
    return timings


def main() -> None:
    args = parse_args()
    url, reused = bench_database(database_url(), reuse=args.keep)
    tmp = Path(tempfile.mkdtemp(prefix="community-bench-"))
    os.environ.setdefault("APP_ENV", "development")
    os.environ.setdefault("INSTANCE_PATH", str(tmp))
    os.environ.setdefault("MAIL_SERVER", "127.0.0.1")
    os.environ["COMMUNITY_DATABASE_URL"] = url

    from sqlalchemy import func, select

    from support_community import create_app
    from support_community.extensions import db
    from support_community.kb.models import ArticleTranslation
    from support_community.kb.permissions import Audience
    from support_community.kb.services import articles, search, suggestions

    app = create_app()
    with app.app_context():
        db.create_all()
        if not db.session.scalar(select(func.count()).select_from(ArticleTranslation)):
            fill(db, args)
        elif reused:
            print("reusing the filled database (--keep)")
        count = db.session.scalar(select(func.count()).select_from(ArticleTranslation))
        print(f"{count:,} language versions ({count // 3:,} articles in each of en, nl, fr)")

        every_search: list[float] = []
        for language, queries in QUERIES.items():
            print(f"\nSearch, one page of results with snippets ({language}):")
            common, two, phrase, nothing = queries
            for label, query, audience, product in (
                (f"a common word ('{common}'), visitor", common, Audience.VISITOR, ""),
                (f"a common word ('{common}'), agent", common, Audience.AGENT, ""),
                (f"two words ('{two}')", two, Audience.VISITOR, ""),
                (f"two words ('{phrase}')", phrase, Audience.CUSTOMER, ""),
                (f"a rare word ('{RARE[language]}')", RARE[language], Audience.VISITOR, ""),
                (f"a word found nowhere ('{nothing}')", nothing, Audience.VISITOR, ""),
                ("a common word, product 'payroll'", common, Audience.VISITOR, "payroll"),
                ("a common word, page 5", common, Audience.VISITOR, ""),
            ):
                page = 5 if "page 5" in label else 1

                def run(query=query, audience=audience, product=product, page=page, language=language):
                    return search.search(query, language=language, audience=audience, product=product, page=page)

                every_search += measure(label, run, args.repeat)
                db.session.rollback()
            subject, description = SUGGESTION[language]
            measure(
                "new-case suggestions (subject and description)",
                lambda subject=subject, description=description, language=language: suggestions.suggest(
                    subject, description, language=language, audience=Audience.CUSTOMER
                ),
                args.repeat,
            )
            measure(
                "/kb without a search, first page",
                lambda language=language: articles.published_list(language, Audience.VISITOR),
                args.repeat,
            )
            db.session.rollback()
        print("\nThe worst case, apart: a word in nearly every article ('w1'), page 1 (en):")
        measure(
            "all 10,000 matches ranked for one page",
            lambda: search.search("w1", language="en", audience=Audience.VISITOR),
            args.repeat,
        )
        p50, p95 = statistics.median(every_search), percentile(every_search, 0.95)
        verdict = "within" if p95 <= BUDGET_P95_MS else "OVER"
        print(
            f"\nEvery search together: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({verdict} the {BUDGET_P95_MS:.0f} ms budget)"
        )

        if args.explain:
            from sqlalchemy import text

            for label, query in (("'invoice'", "invoice"), ("'enterprise number'", "enterprise number")):
                plan = db.session.execute(
                    text(
                        "EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM kb_translations WHERE language = 'en' "
                        "AND is_published AND search_vector @@ websearch_to_tsquery('english', :q) "
                        "ORDER BY ts_rank(search_vector, websearch_to_tsquery('english', :q)) DESC LIMIT 21"
                    ),
                    {"q": query},
                ).scalars()
                print(f"\nplan of the search for {label}:\n" + "\n".join(plan))
    db.state(app).engine.dispose()
    if not args.keep:
        drop(url)


def drop(url: str) -> None:
    import sqlalchemy as sa

    target = sa.engine.make_url(url)
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    engine.dispose()


if __name__ == "__main__":
    main()
