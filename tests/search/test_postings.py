"""Repeated texts (addresses, regions, 업종): the positions holding a word that starts with a prefix,
the same whether few texts hold it (their runs joined) or many (the positions marked in one pass)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navplugin.search import hangul, postings
from navplugin.search.postings import ValueIndex

WORDS = ["경상북도", "경북", "경기도", "포항시", "포항로", "광주", "광주광역시", "논현로", "음식점업", "중구"]
TEXTS = st.lists(st.one_of(st.none(), st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)),
                 min_size=1, max_size=60)


def _brute_force(values, prefix):
    return [position for position, text in enumerate(values)
            if text and any(word.startswith(prefix) for word in hangul.words(text))]


@pytest.mark.parametrize("many_values", [0, 1, 10_000])
@settings(max_examples=60, deadline=None)
@given(values=TEXTS, prefix=st.sampled_from(["경", "경상", "포항", "광주광", "논현로", "없는말", "중"]))
def test_positions_with_a_word_prefix_are_the_brute_force_ones(many_values, values, prefix):
    original, postings.MANY_VALUES = postings.MANY_VALUES, many_values  # both ways of answering
    try:
        found = ValueIndex(values, len(values)).with_prefix(hangul.normalize(prefix))
    finally:
        postings.MANY_VALUES = original
    assert found.tolist() == _brute_force(values, hangul.normalize(prefix))
