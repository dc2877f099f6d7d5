"""/whatif arguments: N TARGET [DAYS]."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.parsing import ParseError
from bot.commands.tape import WhatIfRequest, parse_whatif


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7 550", WhatIfRequest(7, Decimal(550), 1)),
        ("#7 550,5 3", WhatIfRequest(7, Decimal("550.5"), 3)),
        ("12 -120.25 30", WhatIfRequest(12, Decimal("-120.25"), 30)),
        ("7 1 500 2", WhatIfRequest(7, Decimal(1500), 2)),
    ],
)
def test_good_arguments(text: str, expected: WhatIfRequest) -> None:
    assert parse_whatif(text) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (None, "tape.whatif_missing"),
        ("7", "tape.whatif_missing"),
        ("seven 550", "tape.whatif_bad_id"),
        ("0 550", "tape.whatif_bad_id"),
        ("7 5x0", "tape.whatif_bad_target"),
        ("7 550 0", "tape.whatif_bad_days"),
        ("7 550 31", "tape.whatif_bad_days"),
        ("7 550 1 1", "tape.whatif_extra"),
    ],
)
def test_bad_arguments_name_the_problem_and_the_syntax(text: str | None, key: str) -> None:
    result = parse_whatif(text)
    assert isinstance(result, ParseError)
    assert result.key == key and result.usage_key == "tape.whatif_usage"


@given(st.text(max_size=60))
def test_any_text_parses_or_explains(text: str) -> None:
    assert isinstance(parse_whatif(text), WhatIfRequest | ParseError)
