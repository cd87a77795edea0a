"""A person mentioned in a declared-from-message description reads as Slack shows them."""

from __future__ import annotations

from firefighter.slack.mrkdwn import linked


def test_a_user_mention_stays_a_mention_and_group_pings_become_words() -> None:
    text = (
        "cc <@U01ALICE> and <@U02BOB|bob>, <!channel> <!subteam^S1|@sre> <https://x.example|graph>"
    )
    shown = linked(text, 3000)
    assert "<@U01ALICE>" in shown and "<@U02BOB>" in shown  # Slack renders the names
    assert "<!channel>" not in shown and "<!subteam" not in shown  # no group is pinged
    assert "<https://x.example|graph>" in shown


def test_a_cut_never_splits_a_mention() -> None:
    text = "see <@U01ALICE> " * 50
    for limit in range(1, 80):
        shown = linked(text, limit)
        assert len(shown) <= limit
        assert shown.count("<") == shown.count(">"), shown
