"""The profile form for oneself or a dependant; the service does the validation that counts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kiemdich.areas import services as area_services
from kiemdich.areas.models import Area
from kiemdich.core.forms import DayField, set_choices
from kiemdich.people.models import Person


class PersonForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=120,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    birth_date = DayField(label=_("Ngày sinh"), required=False)
    gender = forms.ChoiceField(label=_("Giới tính"), required=False,
                               choices=[("", "—"), *Person.Gender.choices])
    id_number = forms.CharField(
        label=_("Số CCCD / CMND / hộ chiếu"), required=False, max_length=40,
        help_text=_("CCCD 12 số, CMND 9 số, hoặc số hộ chiếu. Trẻ em có thể để trống."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}))
    phone = forms.CharField(label=_("Số điện thoại"), required=False, max_length=30,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    province = forms.ChoiceField(label=_("Tỉnh/thành phố"), required=False)
    area_code = forms.ChoiceField(label=_("Xã/phường"), required=False)
    street = forms.CharField(label=_("Số nhà, đường, thôn/ấp"), required=False, max_length=255)
    nationality = forms.CharField(label=_("Quốc tịch"), max_length=60, initial="VN")
    relationship = forms.CharField(label=_("Quan hệ với bạn"), required=False, max_length=40,
                                   help_text=_("Ví dụ: con, mẹ, ông."))

    def __init__(self, *args: Any, province: Area | None = None, is_self: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provinces = area_services.provinces()
        set_choices(self, "province", [("", "—")] + [(a.code, a.name) for a in provinces])
        chosen = self.data.get("province") if self.is_bound else None
        if chosen:
            province = next((p for p in provinces if p.code == chosen), None)
        set_choices(self, "area_code", [("", "—")] + commune_choices(province))
        self.fields["province"].widget.attrs.update({
            "hx-get": "/people/communes/", "hx-target": "#id_area_code",
            "hx-trigger": "change", "hx-swap": "innerHTML"})
        if is_self:
            del self.fields["relationship"]


def commune_choices(province: Area | None) -> list[tuple[str, str]]:
    """The communes of a province, named with their district when the map has districts."""
    if province is None:
        return []
    leaves = Area.objects.subtree(province).leaves().select_related("parent").order_by("path")
    return [(a.code, a.name if a.parent_id == province.pk else f"{a.name} — {a.parent.name}")
            for a in leaves]
