from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_INPUT, **kwargs)


def _when(label: StrOrPromise, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, required=required, widget=DateTimeInput(),
                               input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%d"])


class RegisterCaseForm(forms.Form):
    LOOKUPS = [("phone", _("Số điện thoại")), ("id_number", _("Số CCCD/CMND/hộ chiếu")),
               ("qr", _("Nội dung mã QR đã quét"))]
    lookup = forms.ChoiceField(label=_("Tìm người theo"), choices=LOOKUPS, initial="phone")
    value = forms.CharField(label=_("Số điện thoại, số giấy tờ hoặc mã QR"), max_length=2000,
                            widget=forms.TextInput(attrs={"autocomplete": "off"}))
    confirmed_at = _when(_("Thời điểm xét nghiệm dương tính"))
    onset_at = _when(_("Thời điểm khởi phát triệu chứng (nếu có)"), required=False)
    margin_minutes = forms.IntegerField(label=_("Biên thời gian (phút)"), min_value=0,
                                        initial=settings.TRACING_MARGIN_MINUTES)


class WindowForm(forms.Form):
    window_start = _when(_("Truy vết từ"))
    window_end = _when(_("đến"))
    margin_minutes = forms.IntegerField(label=_("Biên (phút)"), min_value=0)
