"""One rounding rule for durations: the stats table and the post-mortem show the same figures."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from firefighter.text import duration, format_duration


def figures(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


@given(st.floats(min_value=-1e7, max_value=1e7, allow_nan=False))
def test_the_short_and_the_long_form_show_the_same_figures(seconds: float) -> None:
    assert figures(duration(seconds)) == figures(format_duration(seconds))


def test_an_acknowledgement_after_8_min_40_s_reads_9_min_in_both() -> None:
    # The case: the stats said 8 min (rounded down), the post-mortem 9 min.
    assert duration(520) == "9m"
    assert format_duration(520) == "9 min"
    assert (duration(2519), format_duration(2519)) == ("42m", "42 min")
    assert (duration(2550), format_duration(2550)) == ("43m", "43 min")
