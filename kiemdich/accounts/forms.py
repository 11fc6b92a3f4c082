from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.models import Role, Sector
from kiemdich.accounts.scopes import Scope
from kiemdich.areas.picker import AreaField


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Số điện thoại"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel",
                                      "placeholder": "0912 345 678", "autofocus": True}),
    )


class CodeForm(forms.Form):
    phone = forms.CharField(widget=forms.HiddenInput, max_length=20)
    code = forms.CharField(
        label=_("Mã xác thực (6 chữ số)"), min_length=6, max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                      "pattern": "[0-9]{6}", "autofocus": True}),
    )


class GrantForm(forms.Form):
    role = forms.ChoiceField(label=_("Vai trò"), choices=Role.choices)
    area_code = AreaField(label=_("Địa bàn"), required=False)
    sector = forms.ChoiceField(label=_("Lĩnh vực"), required=False,
                               choices=[("", _("Mọi lĩnh vực")), *Sector.choices])

    def __init__(self, *args: Any, scope: Scope | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if scope is not None:
            country = [("", _("Toàn quốc"))] if scope.may_manage_area(None) else []
            area_field: AreaField = self.fields["area_code"]  # type: ignore[assignment]
            area_field.offer(scope.manageable_areas(), extra=country)


class OfficerForm(GrantForm):
    error_code = ""  # the refusal's stable code, for the page (data-error-code)
    phone = forms.CharField(label=_("Số điện thoại"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel",
                                                          "autocomplete": "off"}))
    display_name = forms.CharField(label=_("Họ tên"), max_length=120, required=False)
    field_order = ["phone", "display_name", "role", "area_code", "sector"]


class RosterForm(forms.Form):
    error_code = ""  # the refusal's stable code, for the page (data-error-code)
    file = forms.FileField(label=_("Tệp CSV"),
                           help_text=_("Cột: phone, role, area_code, sector, display_name "
                                       "(sector và display_name có thể để trống)."))
