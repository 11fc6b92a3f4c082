"""Request validation errors (pydantic's, raised by django-ninja) in the caller's language.

pydantic writes its messages in English ("Input should be 'in' or 'out'"); the API answers in
the language of the request like every other message. Each error has a stable `type`, and its
`ctx` carries the figures (`max_length`, `expected`…), so the message is made from those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _

_TIME = ("datetime_parsing", "datetime_type", "datetime_from_date_parsing",
         "datetime_object_invalid", "timezone_aware", "timezone_naive")
_DATE = ("date_parsing", "date_type", "date_from_datetime_parsing",
         "date_from_datetime_inexact")
_INTEGER = ("int_parsing", "int_type", "int_from_float", "int_parsing_size")
_NUMBER = ("float_parsing", "float_type", "decimal_parsing", "decimal_type", "finite_number")
_OBJECT = ("model_type", "model_attributes_type", "dict_type", "is_instance_of")


def _messages() -> dict[str, Callable[[Mapping[str, Any]], str]]:
    def fixed(text: str) -> Callable[[Mapping[str, Any]], str]:
        return lambda ctx: text

    table: dict[str, Callable[[Mapping[str, Any]], str]] = {
        "missing": fixed(_("Trường này là bắt buộc.")),
        "string_type": fixed(_("Cần một chuỗi ký tự.")),
        "string_too_short": lambda c: _("Cần ít nhất %(n)s ký tự.") % {"n": c.get("min_length")},
        "string_too_long": lambda c: _("Dài tối đa %(n)s ký tự.") % {"n": c.get("max_length")},
        "string_pattern_mismatch": fixed(_("Có ký tự không được phép.")),
        "literal_error": lambda c: _("Phải là một trong: %(values)s.") % {
            "values": _choices(c)},
        "enum": lambda c: _("Phải là một trong: %(values)s.") % {"values": _choices(c)},
        "bool_parsing": fixed(_("Cần true hoặc false.")),
        "bool_type": fixed(_("Cần true hoặc false.")),
        "greater_than": lambda c: _("Phải lớn hơn %(n)s.") % {"n": c.get("gt")},
        "greater_than_equal": lambda c: _("Phải từ %(n)s trở lên.") % {"n": c.get("ge")},
        "less_than": lambda c: _("Phải nhỏ hơn %(n)s.") % {"n": c.get("lt")},
        "less_than_equal": lambda c: _("Phải từ %(n)s trở xuống.") % {"n": c.get("le")},
        "list_type": fixed(_("Cần một danh sách.")),
        "too_short": lambda c: _("Cần ít nhất %(n)s phần tử.") % {"n": c.get("min_length")},
        "too_long": lambda c: _("Tối đa %(n)s phần tử.") % {"n": c.get("max_length")},
        "json_invalid": fixed(_("JSON không hợp lệ.")),
        "uuid_parsing": fixed(_("Cần một UUID.")),
        "url_parsing": fixed(_("Cần một địa chỉ URL.")),
        # Our own validators raise ValueError with a message already in the request's language.
        "value_error": lambda c: str(c.get("error", "")) or _("Giá trị không hợp lệ."),
        "assertion_error": lambda c: str(c.get("error", "")) or _("Giá trị không hợp lệ."),
    }
    table.update(dict.fromkeys(_TIME, fixed(
        _("Cần thời điểm theo ISO 8601, ví dụ 2021-10-01T08:00:00+07:00."))))
    table.update(dict.fromkeys(_DATE, fixed(_("Cần ngày dạng YYYY-MM-DD."))))
    table.update(dict.fromkeys(_INTEGER, fixed(_("Cần một số nguyên."))))
    table.update(dict.fromkeys(_NUMBER, fixed(_("Cần một số."))))
    table.update(dict.fromkeys(_OBJECT, fixed(_("Cần một đối tượng JSON."))))
    return table


def _choices(ctx: Mapping[str, Any]) -> str:
    # pydantic lists the choices as English text: "'a', 'b' or 'c'".
    return str(ctx.get("expected", "")).replace(" or ", ", ")


def localised(error: Mapping[str, Any]) -> str:
    """The message of one pydantic error (`{"type", "loc", "msg", "ctx"?}`) in the active
    language; a type without its own message says the value is not valid."""
    make = _messages().get(str(error.get("type", "")))
    return make(error.get("ctx") or {}) if make else _("Giá trị không hợp lệ.")
