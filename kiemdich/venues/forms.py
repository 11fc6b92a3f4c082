"""Portal forms for venues. They only present and collect; the services check every rule, and
their errors come back onto the field they name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.models import Sector
from kiemdich.areas import services as area_services
from kiemdich.areas.models import Area
from kiemdich.core.errors import DomainError
from kiemdich.core.forms import set_choices
from kiemdich.venues.types import VENUE_TYPES

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def type_groups() -> list[tuple[StrOrPromise, list[tuple[str, StrOrPromise]]]]:
    """Venue types grouped by sector, as <optgroup>s."""
    groups: dict[str, list[tuple[str, StrOrPromise]]] = {}
    for kind in VENUE_TYPES.values():
        groups.setdefault(kind.sector, []).append((kind.key, kind.label))
    return [(Sector(sector).label, items) for sector, items in groups.items()]


def commune_choices(province_code: str) -> list[tuple[str, str]]:
    """The communes and wards of a province, labelled with their district when there is one."""
    province = Area.objects.filter(depth=0, code=province_code).first()
    if province is None:
        return []
    leaves = Area.objects.subtree(province).leaves().select_related("parent").order_by(
        "parent__name", "name")
    return [(a.code, a.name if a.depth == 1 else f"{a.name} — {a.parent.name}") for a in leaves]


class VenueForm(forms.Form):
    name = forms.CharField(label=_("Tên địa điểm"), max_length=200)
    venue_type = forms.ChoiceField(label=_("Loại hình"))
    province = forms.ChoiceField(label=_("Tỉnh/thành phố"))
    area_code = forms.ChoiceField(label=_("Xã/phường"))
    street = forms.CharField(label=_("Số nhà, đường"), max_length=255, required=False)
    vehicle_plate = forms.CharField(label=_("Biển số (xe, phà)"), max_length=20, required=False)
    vehicle_route = forms.CharField(label=_("Tuyến"), max_length=200, required=False)
    default_stay_minutes = forms.IntegerField(
        label=_("Thời gian lưu lại mặc định (phút)"), required=False, min_value=1,
        help_text=_("Để trống để dùng mức mặc định của loại hình."))
    opening_hours = forms.CharField(label=_("Giờ mở cửa"), max_length=200, required=False)
    business_reg_no = forms.CharField(label=_("Mã số doanh nghiệp"), max_length=32,
                                      required=False)
    contact_phone = forms.CharField(label=_("Điện thoại liên hệ"), max_length=20, required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "tel"}))
    latitude = forms.FloatField(label=_("Vĩ độ"), required=False)
    longitude = forms.FloatField(label=_("Kinh độ"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "venue_type", [("", "—"), *type_groups()])
        provinces = [(a.code, a.name) for a in area_services.provinces()]
        set_choices(self, "province", provinces)
        # Unset, the select shows its first option: the home province (HOME_AREA).
        province = self.data.get("province") or self.initial.get("province") \
            or (provinces[0][0] if provinces else "")
        set_choices(self, "area_code", [("", "—"), *commune_choices(province)])
        self.fields["province"].widget.attrs.update({
            "hx-get": "/venues/communes/", "hx-target": "#id_area_code",
            "hx-trigger": "change"})

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "province"}
        return {k: ("" if v is None and k not in ("latitude", "longitude",
                                                  "default_stay_minutes") else v)
                for k, v in data.items()}

    def show_error(self, error: DomainError) -> None:
        """Put a service refusal on the field it names (or on the whole form)."""
        field = error.field if error.field in self.fields else None
        self.add_error(field, str(error.message))


class StaffForm(forms.Form):
    phone = forms.CharField(label=_("Số điện thoại nhân viên"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel",
                                                          "placeholder": "0912 345 678"}))


class DeviceForm(forms.Form):
    name = forms.CharField(label=_("Tên máy quét"), max_length=100,
                           widget=forms.TextInput(attrs={"placeholder": _("Cổng chính")}))


class SpecialForm(forms.Form):
    special = forms.BooleanField(label=_("Cho phép xem đầy đủ thông tin người ra vào"),
                                 required=False)
    reason = forms.CharField(label=_("Lý do"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))
