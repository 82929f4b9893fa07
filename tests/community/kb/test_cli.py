"""``community kb seed``, and ``community demo`` loading the first article too."""

from __future__ import annotations

from support_community.kb.permissions import Audience
from support_community.kb.services import articles
from support_community.kb.services.seed import SEED_SLUGS


def test_kb_seed_adds_the_first_article_once(community):
    runner = community.test_cli_runner()
    first = runner.invoke(args=["kb", "seed"])
    assert first.exit_code == 0, first.output
    assert "3 language version(s) added, 0 already there." in first.output
    again = runner.invoke(args=["kb", "seed"])
    assert "0 language version(s) added, 3 already there." in again.output
    assert articles.find_published("fr", SEED_SLUGS["fr"], Audience.VISITOR) is not None


def test_the_demo_data_includes_the_first_article(community):
    result = community.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Knowledge base: 3 language version(s) of the first article added." in result.output
    assert articles.find_published("nl", SEED_SLUGS["nl"], Audience.VISITOR).article.product_key == "portal"
