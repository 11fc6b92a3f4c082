"""Phone numbers in every form people type them become one E.164 number, or phone_invalid."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiemdich.accounts.phones import PhoneInvalid, national_form, normalize_phone
from kiemdich.core.errors import Invalid

mobile_prefixes = st.sampled_from(["32", "33", "39", "52", "56", "70", "77", "81", "86", "88",
                                   "90", "91", "94", "96", "97", "98", "99"])
subscriber = st.text(alphabet="0123456789", min_size=7, max_size=7)


@pytest.mark.parametrize("raw", ["0912345678", "+84912345678", "84 912 345 678",
                                 "0912.345.678", "(091) 234-5678", "0084912345678",
                                 "+84 0912345678"])
def test_common_forms_normalise_to_e164(raw):
    assert normalize_phone(raw) == "+84912345678"


@given(mobile_prefixes, subscriber, st.sampled_from(["0{}{}", "+84{}{}", "84{}{}", "+84 {} {}"]))
def test_every_form_of_a_mobile_number_is_the_same_number(prefix, rest, form):
    e164 = normalize_phone(form.format(prefix, rest))
    assert e164 == f"+84{prefix}{rest}"
    assert national_form(e164) == f"0{prefix}{rest}"


@given(st.text(max_size=30))
def test_any_text_is_a_number_or_phone_invalid(raw):
    try:
        e164 = normalize_phone(raw)
    except PhoneInvalid as exc:
        assert exc.code == "phone_invalid" and isinstance(exc, Invalid)
    else:
        assert e164.startswith("+84") and e164[1:].isdigit() and len(e164) in (12, 13)


@pytest.mark.parametrize("raw", ["", "12345", "0123456789", "+12025550100", "091234567",
                                 "09123456789", "٠٩١٢٣٤٥٦٧٨"])
def test_wrong_numbers_are_refused(raw):
    with pytest.raises(PhoneInvalid):
        normalize_phone(raw)
