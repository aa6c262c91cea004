"""Korean text as search compares it: normal form, 초성, keystrokes, and the one-key-off check."""
from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from navplugin.search import hangul
from navplugin.search.match import one_key_off

syllables = st.integers(0xAC00, 0xD7A3).map(chr)
names = st.text(st.one_of(syllables, st.sampled_from(list("abcXYZ019 -&()·ㄱㅎ㈜"))), min_size=1, max_size=20)


def test_the_normal_form_drops_spacing_case_punctuation_and_legal_forms():
    assert hangul.normalize("낙원 아구찜") == hangul.normalize("낙원아구찜") == "낙원아구찜"
    assert hangul.normalize("피엔비 (PNB)") == "피엔비pnb"
    assert hangul.normalize("ＰＮＢ　２") == "pnb2"  # full-width letters, digit and space
    assert hangul.normalize("안다미로&카페오리") == "안다미로카페오리"
    assert hangul.normalize("(주)김영모과자점") == hangul.normalize("㈜ 김영모과자점") == "김영모과자점"
    assert hangul.normalize("주식회사 영양숯불갈비") == "영양숯불갈비"
    assert hangul.normalize("예미옥주식회사") == "예미옥"
    assert hangul.normalize("유한회사한국집") == "한국집"
    assert hangul.normalize("주식회사") == "주식회사"  # nothing else: the legal form is the name
    assert hangul.normalize("!!! ...") == ""


def test_decomposed_and_half_width_hangul_are_the_same_text():
    decomposed = unicodedata.normalize("NFD", "낙원아구찜")
    assert decomposed != "낙원아구찜" and hangul.normalize(decomposed) == "낙원아구찜"
    assert hangul.normalize("\uffa4\uffb7") == "ㄴㅇ"  # half-width ㄴ ㅇ
    assert hangul.normalize("\u1102\u110b") == "ㄴㅇ"  # lone conjoining ㄴ ㅇ


def test_words_split_on_anything_but_letters_and_digits():
    assert hangul.words("도투리 샤브칼국수 불광천") == ["도투리", "샤브칼국수", "불광천"]
    assert hangul.words("피엔비 (PNB)") == ["피엔비", "pnb"]
    assert hangul.words("경기도 군포시 번영로 508(금정동)") == ["경기도", "군포시", "번영로", "508", "금정동"]
    assert hangul.words("(주)강계봉진막국수") == ["강계봉진막국수"]


def test_initials_and_keystrokes():
    assert hangul.initials("낙원아구찜") == "ㄴㅇㅇㄱㅉ"
    assert hangul.initials("은혜반찬2pnb") == "ㅇㅎㅂㅊ2pnb"
    # compound vowels and final clusters are the keys typed for them
    assert hangul.keystrokes("낙원") == "ㄴㅏㄱㅇㅜㅓㄴ"
    assert hangul.keystrokes("닭") == "ㄷㅏㄹㄱ"
    assert hangul.keystrokes("의") == "ㅇㅡㅣ"
    assert hangul.keystrokes("pnb2") == "pnb2"


def test_initials_queries():
    assert hangul.is_initials("ㄴㅇㅇㄱㅉ") and hangul.is_initials("ㅍㅇㅈ2")
    assert not hangul.is_initials("ㄴ")  # one letter is no query of initials
    assert not hangul.is_initials("낙ㅇ")  # a syllable: ordinary text
    assert not hangul.is_initials("pnb")


@settings(max_examples=200, deadline=None)
@given(names)
def test_joined_texts_are_normalised_and_split_like_single_ones(texts_seed):
    texts = [texts_seed, texts_seed[::-1], "주식회사", "", texts_seed.upper()]
    assert hangul.normalize_lines("\n".join(texts)) == [hangul.normalize(text) for text in texts]
    words = hangul.words_of_lines("\n".join(texts) + "\n")
    per_line, line = [], []
    for word in words:
        if word == hangul.LINE_END:
            per_line.append(line)
            line = []
        else:
            line.append(word)
    expected = [hangul.words(text) for text in texts]
    # a line of legal forms alone comes out empty from the joined pass (its words are then taken alone)
    assert [found or expected[i] for i, found in enumerate(per_line)] == expected


@settings(max_examples=200, deadline=None)
@given(names)
def test_normalising_twice_changes_nothing(text):
    once = hangul.normalize(text)
    assert hangul.normalize(once) == once
    assert len(hangul.initials(once)) == len(once)


def test_one_key_off_finds_one_wrong_missing_or_extra_key_anywhere():
    name = hangul.keystrokes("낙원아구찜강남점")
    for typed in ("낙원아구찐", "낙원아구찜", "나권아구찜", "낙원아구짐", "낙원아구찜강"):
        query = hangul.keystrokes(typed)
        assert one_key_off(query, name, len(query) // 2), typed
    assert one_key_off(hangul.keystrokes("아구찜강남잠"), name, 6)  # the end of a longer name
    for typed in ("낙원아기찐", "낙월아구찐", "강남역"):
        query = hangul.keystrokes(typed)
        assert not one_key_off(query, name, len(query) // 2), typed


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("ㄱㄴㅏㅓab"), min_size=6, max_size=10), st.text(st.sampled_from("ㄱㄴㅏㅓab"), max_size=12),
       st.data())
def test_one_key_off_agrees_with_every_window(query, text, data):
    """Against the plain definition: some substring of the text is within one edit of the query."""
    from rapidfuzz.distance import Levenshtein

    split = data.draw(st.integers(3, len(query) - 3))
    expected = any(Levenshtein.distance(query, text[i:j]) <= 1
                   for i in range(len(text) + 1) for j in range(i, len(text) + 1))
    assert one_key_off(query, text, split) == expected
