"""The lists of the report pages — the coverage table, the compliance lists, the inspections —
built from a page's filters and the viewer's scope. The page shows them; its export button
starts a task whose worker builds the same list again, from the same filters and the
account's scope at that time, and writes it to a file (kiemdich/reports/jobs.py)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from kiemdich.accounts.models import Sector, User
from kiemdich.accounts.scopes import Scope
from kiemdich.core import clock
from kiemdich.core.audit import record
from kiemdich.reports import compliance, coverage, daily, inspections
from kiemdich.reports import stats as stats_service
from kiemdich.reports.models import Inspection
from kiemdich.zones import services as zone_services


def query_of(scope: Scope, data: Mapping) -> stats_service.StatsQuery:
    """A page's area, dates and sector checked against the viewer's reach."""
    return stats_service.build_query(scope, data.get("area"), data.get("date_from"),
                                     data.get("date_to"), data.get("sector"))


def name_key(name: str) -> str:
    """Sort Vietnamese names as readers expect: by letters first, diacritics after."""
    base = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in base if not unicodedata.combining(c)).casefold() + name


# The coverage table ------------------------------------------------------------------------

COVERAGE_SORTS = ("name", "residents", "venues", "roster", "unregistered", "undeclared",
                  "silent", "violations")


def sorted_coverage(rows: list[compliance.AreaCompliance],
                    sort: str) -> list[compliance.AreaCompliance]:
    """Sorted by a column; areas without data for a percentage last, whichever the order."""
    key, descending = sort.lstrip("-"), sort.startswith("-")
    if key not in COVERAGE_SORTS:
        return rows
    if key == "name":
        return sorted(rows, key=lambda r: name_key(r.name), reverse=descending)

    def value(row: compliance.AreaCompliance) -> float | None:
        figure = getattr(row, key)
        return figure.percent if isinstance(figure, coverage.Coverage) else figure

    known = [(figure, r) for r in rows if (figure := value(r)) is not None]
    known.sort(key=lambda pair: pair[0], reverse=descending)
    return [r for _figure, r in known] + [r for r in rows if value(r) is None]


def coverage_rows(query: stats_service.StatsQuery, sort: str) -> list[compliance.AreaCompliance]:
    """The child areas of the page's table as of its day (`date_to`), in the page's order."""
    return sorted_coverage(compliance.by_area(query.area, query.sectors, query.date_to), sort)


def coverage_cells(rows: list[compliance.AreaCompliance]) -> tuple[list[str], list[list]]:
    """The table as the file holds it: the area's code, then the page's columns."""
    return ([_("Mã"), *daily.area_headers()],
            [[r.area.code, *cells] for r, cells in zip(rows, daily.area_rows(rows),
                                                        strict=True)])


# The compliance lists ------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    kind: str
    title: str
    headers: list[str]
    rows: list[list]


def compliance_kinds() -> dict[str, str]:
    return {"establishments": _("Cơ sở chưa đăng ký địa điểm"),
            "venues": _("Địa điểm không có lượt quét"),
            "roster": _("Người chưa khai báo hôm nay")}


def compliance_listing(actor: User, query: stats_service.StatsQuery, data: Mapping,
                       today: date | None = None) -> Listing:
    """The list the page's `kind` names (establishments by default), with `days` and
    `organisation` from the page. Residents of a zone shown are audited."""
    today = today or clock.today()
    kind = data.get("kind", "establishments")
    if kind == "venues":
        items = compliance.silent_venues(query.area, query.sectors,
                                         compliance.parse_days(data.get("days")), today)
        headers = [_("Mã QR"), _("Địa điểm"), _("Lĩnh vực"), _("Xã/phường"),
                   _("Lần quét gần nhất")]
        rows = [[v.code, v.name, v.get_sector_display(), v.area.name, v.last_active]
                for v in items]
    elif kind == "roster":
        organisation = data.get("organisation")
        members = compliance.undeclared(
            query.area, query.sectors, today,
            int(str(organisation)) if str(organisation).isdigit() else None)
        headers = [_("Đơn vị"), _("Họ và tên"), _("Số điện thoại")]
        rows = [[m.organisation.name, m.full_name, m.phone] for m in members]
        if not organisation and not query.sectors:
            # People living in a quarantine or lockdown zone must declare too (plan II.2).
            residents = zone_services.undeclared_resident_rows(query.area, today)
            rows += [list(r) for r in residents]
            if residents:
                record(actor, "view_zone_residents", target=query.area,
                       reason=f"undeclared={len(residents)}")
    else:
        kind = "establishments"
        found = compliance.unregistered(query.area, query.sectors).values_list(
            "reg_no", "name", "sector", "area__name")
        headers = [_("Số đăng ký"), _("Tên cơ sở"), _("Lĩnh vực"), _("Xã/phường")]
        # Values, not models: a province's registry is many thousands of rows.
        sectors = {value: str(label) for value, label in Sector.choices}
        rows = [[reg_no, name, sectors.get(sector, sector), area]
                for reg_no, name, sector, area in found.iterator(chunk_size=2000)]
    return Listing(kind, compliance_kinds()[kind], headers, rows)


# Inspections ---------------------------------------------------------------------------

# The page shows the latest ones; the file holds every one the filters keep.
INSPECTIONS_SHOWN = 2000


def _day(data: Mapping, name: str) -> date | None:
    value = data.get(name)
    return stats_service.parse_date(value, name, date.min) if value else None


def inspection_filter(data: Mapping) -> inspections.InspectionFilter:
    result = data.get("result", "")
    return inspections.InspectionFilter(
        date_from=_day(data, "date_from"), date_to=_day(data, "date_to"),
        result=result if result in Inspection.Result.values else "",
        violation=data.get("violation", ""),
        area_code=data.get("area", ""),
    )


def inspection_headers() -> list[str]:
    return [_("Thời điểm"), _("Mã QR"), _("Đối tượng"), _("Xã/phường"), _("Kết quả"),
            _("Niêm yết mã QR"), _("Kiểm soát quét mã"), _("Nhân viên khai báo"),
            _("Căn cứ"), _("Hành vi"), _("Tiền phạt"), _("Ghi chú")]


def inspection_row(i: Inspection) -> list:
    return [i.inspected_at, i.venue.code if i.venue else "", i.subject_label, i.area.name,
            i.get_result_display(), i.poster_displayed, i.scanning_enforced,
            i.staff_declared, i.violation.legal_reference if i.violation else "",
            i.violation.title if i.violation else "", i.fine, i.notes]
