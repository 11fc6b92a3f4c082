"""Everything held about an account's people, for the data subject (JSON and PDF), as each
app's holder exports it (kiemdich.core.personal_data).

The data subject's right of access (Decree 13/2023, Law 91/2025): the account sees what the
platform keeps about itself and each person it manages — profile, consents, declarations,
alerts and what officers did about them, printed cards, check-ins, and who opened a full view.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from typing import Any, cast

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import TextChoices
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kiemdich.accounts.models import User
from kiemdich.core.audit import record
from kiemdich.core.personal_data import Export, holders
from kiemdich.declarations.models import SymptomAlert
from kiemdich.documents import fonts
from kiemdich.documents.text import paragraph
from kiemdich.people.models import Person
from kiemdich.privacy.services import managed_people_ids

FORMAT_VERSION = 1


def export_data(user: User) -> dict[str, Any]:
    """The account and its people, with everything attached to them. Audited."""
    data = _collect(user)
    record(user, "export_own_data", target=user, reason=f"people={len(data['people'])}")
    return data


def _collect(user: User) -> dict[str, Any]:
    """What every holder (kiemdich/*/personal_data.py) exports of the account and of each
    person it manages: the account's sections, then one entry per person, its profile
    first."""
    export = Export(account=user, ids=managed_people_ids(user))
    for holder in holders():
        if holder.export is not None:
            holder.export(export)
    return {
        "format": FORMAT_VERSION,
        "generated_at": timezone.now(),
        **export.sections,
        "people": [{**export.profiles.get(pk, {"id": pk}), **export.per_person.get(pk, {})}
                   for pk in export.ids],
    }


def export_json(user: User) -> bytes:
    return json.dumps(export_data(user), cls=DjangoJSONEncoder, ensure_ascii=False,
                      indent=2).encode("utf-8")


def export_pdf(user: User) -> bytes:
    """The same content as the JSON, as a readable A4 document in Vietnamese and English.
    Audited once the document is made, or as failed."""
    data = _collect(user)
    reason = f"format=pdf people={len(data['people'])}"
    try:
        document = _pdf(data)
    except Exception:
        record(user, "export_own_data_failed", target=user, reason=reason)
        raise
    record(user, "export_own_data", target=user, reason=reason)
    return document


def _pdf(data: dict[str, Any]) -> bytes:
    fonts.register_fonts()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = fonts.BOLD if style.name.startswith("Heading") else fonts.REGULAR
    # The sample sheet holds paragraph styles under these names (typed as any property set).
    body, h1, h2, h3 = (cast(ParagraphStyle, styles[name])
                        for name in ("BodyText", "Heading1", "Heading2", "Heading3"))

    width = A4[0] - 30 * mm

    def table(header: list[str], rows: list[list[Any]]) -> Table:
        empty: list[Paragraph | str] = ["—", *[""] * (len(header) - 1)]
        cells: list[list[Paragraph | str]] = [[paragraph(_text(c), body) for c in header]]
        cells += [[paragraph(_text(c), body) for c in row] for row in rows] or [empty]
        # Columns share the page width (a long word cannot squeeze another column to
        # nothing); a row taller than a page (a long list of places) splits across pages.
        grid = Table(cells, colWidths=[width / len(header)] * len(header), repeatRows=1,
                     splitInRow=1)
        grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, "#999999"),
                                  ("BACKGROUND", (0, 0), (-1, 0), "#e4f0fb"),
                                  ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return grid

    story: list[Any] = [
        paragraph("Dữ liệu của bạn / Your data", h1),
        paragraph(f"Tài khoản / Account: {data['account']['phone']} · "
                  f"{_text(data['generated_at'])}", body),
        Spacer(1, 4 * mm),
        paragraph("Đồng ý / Consents", h2),
        table(["Phiên bản / Version", "Lúc / Given", "Rút lại / Withdrawn"],
              [[c["version"], c["given_at"], c["withdrawn_at"]] for c in data["consents"]]),
    ]
    labels = [("full_name", "Họ và tên / Name"), ("birth_date", "Ngày sinh / Birth date"),
              ("gender", "Giới tính / Sex"), ("id_number", "Số giấy tờ / ID number"),
              ("phone", "Điện thoại / Phone"), ("area_name", "Xã/phường / Commune"),
              ("street", "Địa chỉ / Address"), ("nationality", "Quốc tịch / Nationality")]
    for person in data["people"]:
        readable = {**person, "gender": _label(Person.Gender, person["gender"])}
        story += [Spacer(1, 6 * mm), paragraph(_text(person["full_name"]) or "—", h2),
                  table(["", ""], [[label, readable[key]] for key, label in labels]),
                  paragraph("Tờ khai / Declarations", h3),
                  table(["Ngày / Date", "Triệu chứng / Symptoms", "Tiếp xúc / Exposure",
                         "Nơi đã đến / Places"],
                        [[d["created_at"], _yes(d["has_symptoms"]), _yes(d["has_exposure"]),
                          d["visited_places_text"]] for d in person["declarations"]]),
                  paragraph("Cảnh báo / Alerts", h3),
                  table(["Lúc / At", "Trạng thái / Status"],
                        [[a["created_at"], _label(SymptomAlert.Status, a["status"])]
                         for a in person["alerts"]]),
                  paragraph("Thẻ QR / Cards", h3),
                  table(["Sê-ri / Serial", "Hết hạn / Expires", "Thu hồi / Revoked"],
                        [[c["serial"], c["expires_at"], c["revoked_at"]]
                         for c in person["credentials"]]),
                  paragraph("Ra vào / Visits", h3),
                  table(["Địa điểm / Venue", "Vào / In", "Ra / Out"],
                        [[v["venue_name"], v["entered_at"], v["left_at"]]
                         for v in person["visits"]]),
                  paragraph("Truy cập đầy đủ / Full views", h3),
                  table(["Lúc / At", "Việc / Action"],
                        [[v["at"], v["action"]] for v in person["access_log"]])]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title="Dữ liệu cá nhân / Personal data",
                      leftMargin=15 * mm, rightMargin=15 * mm).build(story)
    return buffer.getvalue()


def _label(choices: type[TextChoices], value: str) -> str:
    """A stored choice as the document's reader knows it ("Nữ", not "female")."""
    return str(choices(value).label) if value in choices.values else value


def _yes(value: bool) -> str:
    return "Có / Yes" if value else "Không / No"


def _text(value: Any) -> str:
    """Dates and times as people read them; everything else as it is (made printable by
    `paragraph`)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    elif isinstance(value, date):
        value = value.strftime("%d/%m/%Y")
    return str(value)

