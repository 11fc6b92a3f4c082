"""The declaration rules over any answers a client might send (hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiemdich.core.errors import Invalid
from kiemdich.declarations.models import EXPOSURES, SYMPTOMS
from kiemdich.declarations.services import ANSWERS, TEXTS, _clean

FIELDS = {*ANSWERS, *TEXTS, "language"}
anything = st.one_of(st.booleans(), st.none(), st.integers(), st.text(max_size=600))
forms = st.fixed_dictionaries({}, optional={name: anything for name in FIELDS})
well_formed = st.fixed_dictionaries(
    {name: st.booleans() for name in ANSWERS},
    optional={"visited_places_text": st.text(max_size=40), "other_symptoms": st.text(max_size=40)})


@given(forms)
def test_any_input_is_either_clean_or_refused_naming_a_known_field(data):
    try:
        clean = _clean(data)
    except Invalid as exc:
        assert exc.field in FIELDS
        return
    assert all(isinstance(clean[name], bool) for name in ANSWERS)
    assert clean["visited_places"] == bool(clean["visited_places_text"])


@given(well_formed)
def test_answers_are_kept_exactly(data):
    try:
        clean = _clean(data)
    except Invalid as exc:
        assert exc.field == "visited_places_text"
        return
    assert {n: clean[n] for n in (*SYMPTOMS, *EXPOSURES)} == \
        {n: data[n] for n in (*SYMPTOMS, *EXPOSURES)}
