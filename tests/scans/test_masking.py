"""The masking a venue applies: what an ordinary venue's staff can never read."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from kiemdich.core.masking import mask_id_number, mask_name, mask_phone, person_shape
from kiemdich.people.models import Person

digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@given(national=digits)
def test_a_masked_phone_keeps_three_digits_at_each_end_only(national):
    masked = mask_phone("+84" + national)
    assert masked[:3] == "0" + national[:2] and masked[-3:] == national[-3:]
    assert set(masked[3:-3]) == {"*"} and len(masked) == 10


@given(number=st.text(alphabet="0123456789", min_size=9, max_size=12))
def test_a_masked_id_number_hides_its_first_six_characters(number):
    masked = mask_id_number(number)
    assert masked[:6] == "******" and masked[6:] == number[6:]


@given(words=st.lists(st.text(alphabet="abcdeghiklmnopqrstuvxyĐđăâêôơư", min_size=1,
                              max_size=8), min_size=2, max_size=5))
def test_a_masked_name_keeps_the_family_name_and_initials(words):
    masked = mask_name(" ".join(words)).split()
    assert masked[0] == words[0]
    for original, shown in zip(words[1:], masked[1:], strict=True):
        assert shown[0] == original[0] and set(shown[1:]) <= {"*"}
        assert len(shown) == len(original)


def test_the_masked_shape_shows_the_birth_year_only():
    person = Person(pk=7, full_name="Nguyễn Văn An", phone="+84912345678",
                    birth_date=date(1990, 5, 17))
    masked, full = person_shape(person, full=False), person_shape(person, full=True)
    # No identifier at all in the masked shape: nothing links it across venues or days.
    assert masked == {"display_name": "Nguyễn V** A*", "phone": "091****678",
                      "id_number": "", "birth": "1990", "birth_text": "1990", "masked": True}
    assert full["birth"] == "1990-05-17" and full["display_name"] == "Nguyễn Văn An"
    assert full["birth_text"] == "17/05/1990"  # what pages and files show
