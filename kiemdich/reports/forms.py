from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.models import Sector
from kiemdich.accounts.scopes import Scope
from kiemdich.reports.imports import IMPORT_ROLES, ImportKind
from kiemdich.reports.models import Inspection, ViolationCategory


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Loại dữ liệu"), choices=ImportKind.choices)
    file = forms.FileField(label=_("Tệp CSV (UTF-8)"))
    all_or_nothing = forms.BooleanField(
        label=_("Chỉ nhập khi mọi dòng đều đúng"), required=False)
    organisation = forms.CharField(label=_("Tên cơ quan, đơn vị (danh sách người phải khai báo)"),
                                   required=False, max_length=200)
    organisation_area = forms.CharField(label=_("Mã xã/phường của đơn vị"), required=False,
                                        max_length=16)
    # Every choice is one the importer may use: no blank the import would then refuse.
    organisation_sector = forms.ChoiceField(label=_("Lĩnh vực của đơn vị"), required=False,
                                            choices=Sector.choices)

    def __init__(self, *args, scope: Scope | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if scope is not None:
            self.fields["organisation_sector"].choices = scope.sector_choices(*IMPORT_ROLES)


class InspectionForm(forms.Form):
    venue_code = forms.CharField(
        label=_("Mã QR địa điểm"), max_length=32,
        help_text=_("Như in dưới “Mã nhập tay” trên áp phích: có hay không có gạch nối, chữ "
                    "hoa hay thường."))
    inspected_at = forms.DateTimeField(
        label=_("Thời điểm kiểm tra"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    poster_displayed = forms.BooleanField(label=_("Có niêm yết mã QR"), required=False)
    scanning_enforced = forms.BooleanField(label=_("Có kiểm soát quét mã ra vào"),
                                           required=False)
    staff_declared = forms.BooleanField(label=_("Nhân viên đã khai báo y tế"), required=False)
    result = forms.ChoiceField(label=_("Kết quả"), choices=Inspection.Result.choices)
    violation = forms.ModelChoiceField(
        label=_("Hành vi vi phạm (Nghị định 117/2020/NĐ-CP)"), required=False,
        queryset=ViolationCategory.objects.filter(active=True), to_field_name="code")
    fine = forms.IntegerField(label=_("Số tiền phạt (đồng)"), required=False, min_value=0,
                              max_value=10**10)
    notes = forms.CharField(label=_("Ghi chú"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}))


class SubscriptionForm(forms.Form):
    area = forms.CharField(label=_("Mã địa bàn"), max_length=20,
                           help_text=_("Ví dụ 75 (tỉnh) hoặc 731 (huyện)."))
    emails = forms.CharField(label=_("Gửi tới (mỗi dòng một e-mail)"),
                             widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
