from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kiemdich.core.forms import DayField


class AuditSearchForm(forms.Form):
    action = forms.CharField(label=_("Hành động"), required=False, max_length=64)
    actor = forms.CharField(label=_("Người thực hiện (SĐT hoặc mã)"), required=False,
                            max_length=32)
    target = forms.CharField(label=_("Đối tượng"), required=False, max_length=128)
    date_from = DayField(label=_("Từ ngày"), required=False)
    date_to = DayField(label=_("Đến ngày"), required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise forms.ValidationError(_("Ngày kết thúc trước ngày bắt đầu."))
        return data


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("Tôi hiểu và muốn tiếp tục"), required=True)
