"""The code alphabet and the place keys, checked as rules over many inputs."""

from __future__ import annotations

import math
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from kiemdich.venues.codes import (
    ALPHABET,
    CODE_LENGTH,
    address_key,
    fold,
    new_code,
    normalize_code,
    normalize_plate,
    place_key,
)

codes = st.text(alphabet=ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH)
# What names and addresses are written in: Vietnamese letters in both cases, digits,
# punctuation and spaces (composed or decomposed, as keyboards send them).
VIETNAMESE = ("aăâbcdđeêghiklmnoôơpqrstuưvxy"
              "áàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")
words = st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + "0123456789 ,.-/", min_size=1,
                max_size=40)


def test_a_code_carries_at_least_60_random_bits_from_an_unambiguous_alphabet():
    assert CODE_LENGTH * math.log2(len(ALPHABET)) >= 60
    assert not set("ILOU") & set(ALPHABET)
    drawn = {new_code() for _ in range(2000)}
    assert len(drawn) == 2000
    assert all(len(c) == CODE_LENGTH and set(c) <= set(ALPHABET) for c in drawn)
    # Every symbol is used: no accidental bias towards digits or letters.
    assert set("".join(drawn)) == set(ALPHABET)


@given(codes, st.sampled_from(["", "-", " ", "."]), st.booleans())
def test_a_code_survives_the_ways_people_copy_it(code, separator, lower):
    printed = separator.join(code[i:i + 4] for i in range(0, CODE_LENGTH, 4))
    typed = printed.lower() if lower else printed
    assert normalize_code(typed) == code
    assert normalize_code(code.replace("1", "I").replace("0", "O")) == code


@given(st.text(max_size=80))
def test_anything_else_is_no_code_or_a_valid_one(text):
    result = normalize_code(text)
    assert result is None or (len(result) == CODE_LENGTH and set(result) <= set(ALPHABET))


@given(st.text(max_size=60))
def test_folding_is_stable_and_plain(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == folded.strip() and "  " not in folded
    assert set(folded) <= set("abcdefghijklmnopqrstuvwxyz0123456789 ")


def test_folding_ignores_accents_case_and_punctuation():
    assert fold("  Chợ  ĐỒNG-Khởi, số 12 ") == fold("cho dong khoi so 12") == "cho dong khoi so 12"
    assert fold("Nhà thuốc") != fold("Nhà thuộc tính khác")


@given(words, words)
def test_the_same_place_typed_differently_has_one_key(name, street):
    a = place_key(address_key(7, street), name)
    b = place_key(address_key(7, unicodedata.normalize("NFD", street.upper()) + "  "),
                  " " + name.upper())
    assert a == b
    assert place_key(address_key(8, street), name) != a  # another commune


def test_a_vehicle_is_its_plate():
    assert normalize_plate("51B-123.45") == normalize_plate("51b 12345") == "51B12345"
    key = address_key(1, "", "60B-012.34")
    assert place_key(key, "Xe buýt 5", is_vehicle=True) == place_key(
        address_key(2, "x", "60b01234"), "Tuyến khác", is_vehicle=True)
