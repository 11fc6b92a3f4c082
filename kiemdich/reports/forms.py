from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts import policy
from kiemdich.accounts.models import Sector
from kiemdich.accounts.scopes import Scope
from kiemdich.areas.picker import AreaField
from kiemdich.core.forms import field_of, set_choices
from kiemdich.reports.imports import ImportKind
from kiemdich.reports.models import Establishment, Inspection, ViolationCategory


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Loại dữ liệu"), choices=ImportKind.choices)
    file = forms.FileField(label=_("Tệp CSV (UTF-8)"))
    all_or_nothing = forms.BooleanField(
        label=_("Chỉ nhập khi mọi dòng đều đúng"), required=False)
    organisation = forms.CharField(label=_("Tên cơ quan, đơn vị (danh sách người phải khai báo)"),
                                   required=False, max_length=200)
    organisation_area = AreaField(label=_("Xã/phường của đơn vị"), required=False,
                                  blank=_("— Chọn xã/phường —"))
    # Every choice is one the importer may use: no blank the import would then refuse.
    organisation_sector = forms.ChoiceField(label=_("Lĩnh vực của đơn vị"), required=False,
                                            choices=Sector.choices)

    def __init__(self, *args: Any, scope: Scope | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if scope is not None:
            set_choices(self, "organisation_sector", scope.sector_choices(*policy.IMPORTS))
            field_of(self, "organisation_area", AreaField).offer(
                scope.visible_areas(*policy.IMPORTS).leaves())


def vnd(amount: int) -> str:
    """2000000 → "2.000.000 đ"."""
    return f"{amount:,}".replace(",", ".") + " đ"


class ViolationSelect(forms.Select):
    """Each article's fine bracket on its option, for the page to show before submitting."""

    def create_option(self, name: str, value: Any, label: int | str, selected: bool, index: int,
                      subindex: int | None = None, attrs: dict[str, Any] | None = None
                      ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"].update({"data-fine-min": instance.fine_min,
                                    "data-fine-max": instance.fine_max})
        return option


class ViolationField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ViolationCategory) -> str:
        return f"{obj.legal_reference} — {obj.title} ({vnd(obj.fine_min)} – {vnd(obj.fine_max)})"


class InspectionForm(forms.Form):
    # Optional: a form sent without it inspects a venue, as before subjects existed.
    subject = forms.ChoiceField(label=_("Đối tượng kiểm tra"), choices=Inspection.Subject.choices,
                                initial=Inspection.Subject.VENUE, widget=forms.RadioSelect,
                                required=False)
    venue_code = forms.CharField(
        label=_("Mã QR địa điểm"), max_length=200, required=False,
        help_text=_("Như in dưới “Mã nhập tay” trên áp phích: có hay không có gạch nối, chữ "
                    "hoa hay thường; hoặc quét mã QR trên áp phích bằng máy đọc."))
    establishment = forms.ChoiceField(label=_("Cơ sở chưa đăng ký địa điểm"), required=False)
    # Chosen by the search above the form (a link puts the person's id here).
    roster_member = forms.IntegerField(required=False, widget=forms.HiddenInput)
    inspected_at = forms.DateTimeField(
        label=_("Thời điểm kiểm tra"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    poster_displayed = forms.BooleanField(label=_("Có niêm yết mã QR"), required=False)
    scanning_enforced = forms.BooleanField(label=_("Có kiểm soát quét mã ra vào"),
                                           required=False)
    staff_declared = forms.BooleanField(label=_("Nhân viên đã khai báo y tế"), required=False)
    result = forms.ChoiceField(label=_("Kết quả"), choices=Inspection.Result.choices)
    violation = ViolationField(
        label=_("Hành vi vi phạm (Nghị định 117/2020/NĐ-CP)"), required=False,
        queryset=ViolationCategory.objects.filter(active=True), to_field_name="code",
        empty_label=_("— Chọn hành vi khi có vi phạm —"), widget=ViolationSelect)
    fine = forms.IntegerField(label=_("Số tiền phạt (đồng)"), required=False, min_value=0,
                              max_value=10**10)
    notes = forms.CharField(label=_("Ghi chú"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}))

    # The lists an inspector picks from are kept short enough for a select on a phone.
    MAX_CHOICES = 500

    def __init__(self, *args: Any,
                 establishments: QuerySet[Establishment] | Sequence[Establishment] = (),
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "establishment", [("", "—")] + [
            (e.reg_no, f"{e.name} — {e.reg_no} — {e.area.name}")
            for e in establishments[:self.MAX_CHOICES]])


class SubscriptionForm(forms.Form):
    area = AreaField(label=_("Địa bàn"), blank=_("— Chọn địa bàn —"))
    emails = forms.CharField(label=_("Gửi tới (mỗi dòng một e-mail)"),
                             widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "area", AreaField).offer(scope.visible_areas(*policy.STATISTICS))
