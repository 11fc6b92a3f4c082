from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from kiemdich.areas.picker import AreaField
from kiemdich.core.forms import DayField
from kiemdich.zones.models import Zone

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise



def _day(label: StrOrPromise) -> DayField:
    return DayField(label=label)


class ZoneForm(forms.Form):
    error_code = ""  # the refusal's stable code, for the page (data-error-code)
    kind = forms.ChoiceField(label=_("Loại vùng"), choices=Zone.Kind.choices)
    area_code = AreaField(label=_("Xã/phường"), required=False, blank=_("— Không chọn —"),
                          help_text=_("Cả xã/phường; hoặc để trống và ghi mã QR của một "
                                      "địa điểm."))
    venue_code = forms.CharField(label=_("Mã QR địa điểm"), max_length=40, required=False)
    starts_on = _day(_("Từ ngày"))
    ends_on = _day(_("Đến ngày (hết ngày này)"))
    reason = forms.CharField(label=_("Lý do"), max_length=300, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
