"""The declaration form: every yes/no question must be answered, none is pre-ticked "no"
unless the last declaration said so."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from kiemdich.declarations.models import EXPOSURES, SYMPTOMS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

YES_NO = [("yes", _("Có")), ("no", _("Không"))]

QUESTIONS = {
    "visited_places": _("Trong 14 ngày qua, bạn có đến tỉnh/thành phố, nơi nào khác không?"),
    "fever": _("Sốt"),
    "cough": _("Ho"),
    "shortness_of_breath": _("Khó thở"),
    "pneumonia": _("Viêm phổi"),
    "sore_throat": _("Đau họng"),
    "fatigue": _("Mệt mỏi"),
    "contact_case": _("Tiếp xúc người bệnh hoặc nghi ngờ mắc bệnh"),
    "contact_from_outbreak": _("Tiếp xúc người từ nơi có ca bệnh"),
    "contact_symptomatic": _("Tiếp xúc người có biểu hiện sốt, ho, khó thở, viêm phổi"),
}


def _yes_no(label: StrOrPromise) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, choices=YES_NO, widget=forms.RadioSelect,
                                  coerce=lambda v: v == "yes", empty_value=None,
                                  error_messages={"required": _("Hãy chọn Có hoặc Không.")})


class DeclarationForm(forms.Form):
    visited_places = _yes_no(QUESTIONS["visited_places"])
    visited_places_text = forms.CharField(label=_("Nơi đã đến"), required=False,
                                          max_length=500)
    fever = _yes_no(QUESTIONS["fever"])
    cough = _yes_no(QUESTIONS["cough"])
    shortness_of_breath = _yes_no(QUESTIONS["shortness_of_breath"])
    pneumonia = _yes_no(QUESTIONS["pneumonia"])
    sore_throat = _yes_no(QUESTIONS["sore_throat"])
    fatigue = _yes_no(QUESTIONS["fatigue"])
    other_symptoms = forms.CharField(label=_("Triệu chứng khác (nếu có)"), required=False,
                                     max_length=500)
    contact_case = _yes_no(QUESTIONS["contact_case"])
    contact_from_outbreak = _yes_no(QUESTIONS["contact_from_outbreak"])
    contact_symptomatic = _yes_no(QUESTIONS["contact_symptomatic"])

    @staticmethod
    def initial_from(answers: dict) -> dict:
        """Form initial values (yes/no) from a dict of booleans and texts."""
        return {k: ("yes" if v else "no") if isinstance(v, bool) else v
                for k, v in answers.items()}

    def symptom_fields(self) -> list:
        return [self[name] for name in SYMPTOMS]

    def exposure_fields(self) -> list:
        return [self[name] for name in EXPOSURES]


class ActionForm(forms.Form):
    status = forms.ChoiceField(label=_("Việc đã làm"), choices=[
        ("called", _("Đã gọi")), ("tested", _("Đã xét nghiệm")),
        ("referred", _("Đã chuyển tuyến")), ("closed", _("Đóng"))])
    note = forms.CharField(label=_("Ghi chú"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 3}))
