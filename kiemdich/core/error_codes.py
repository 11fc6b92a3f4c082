"""The catalogue of error codes: every stable code the API answers with or a refused scan is
stored with, declared once with its HTTP status and its message (Vietnamese, English through
the catalogue in kiemdich/locale).

Integrators branch on `error.code`, so a code never changes once published (the API
contract); the OpenAPI document lists them (kiemdich.api). tests/test_error_codes.py fails
for a code raised anywhere that is not declared here, or raised with another status than the
one declared. A raise says the message declared here; one that carries a detail (a limit, the
missing columns) is a template, filled by the raise's `params` (kiemdich.core.errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int
    message: StrOrPromise
    # Other statuses the same code answers with, where it names the same fact on two kinds of
    # request (an unknown area is a 404 on a lookup, a 422 on a field of a form).
    also: tuple[int, ...] = ()
    # A scan can be refused with it: one of the stored refusal reasons (Scan.reason).
    scan: bool = False

    @property
    def statuses(self) -> tuple[int, ...]:
        return (self.status, *self.also)


CATALOGUE: dict[str, ErrorCode] = {}


def _declare(code: str, status: int, message: StrOrPromise, *, also: tuple[int, ...] = (),
             scan: bool = False) -> str:
    assert code not in CATALOGUE, f"error code {code} declared twice"
    CATALOGUE[code] = ErrorCode(code, status, message, also, scan)
    return code


def status_of(code: str) -> int:
    return CATALOGUE[code].status


def message_of(code: str) -> StrOrPromise:
    return CATALOGUE[code].message


def scan_reasons() -> list[tuple[str, StrOrPromise]]:
    """The refusal reasons a stored scan may carry, as model field choices."""
    return [(entry.code, entry.message) for entry in CATALOGUE.values() if entry.scan]


# The generic ones, one per status (kiemdich.core.errors' classes, the handlers of kiemdich.api
# and kiemdich.failures).
_declare("bad_request", 400, _("Yêu cầu không hợp lệ."))
_declare("unauthorized", 401, _("Cần đăng nhập."))
_declare("forbidden", 403, _("Không có quyền."))
_declare("not_found", 404, _("Không tìm thấy."))
_declare("method_not_allowed", 405, _("Phương thức không được hỗ trợ."))
_declare("conflict", 409, _("Yêu cầu xung đột với dữ liệu hiện có."))
_declare("too_large", 413, _("Dữ liệu gửi lên quá lớn."))
_declare("body_too_large", 413, _("Nội dung yêu cầu quá lớn."))
_declare("invalid", 422, _("Dữ liệu không hợp lệ."))
_declare("rate_limited", 429, _("Quá nhiều yêu cầu, vui lòng thử lại sau."))
_declare("server_error", 500, _("Lỗi máy chủ; vui lòng thử lại sau."))
_declare("unavailable", 503,
         _("Hệ thống tạm thời gián đoạn; vui lòng thử lại sau ít giây."))
_declare("busy", 503, _("Máy chủ đang bận; vui lòng thử lại sau giây lát."))
# A status Django or django-ninja answered that no handler above names (kiemdich.api).
_declare("http_error", 400, _("Yêu cầu không hợp lệ."), also=(405, 406, 415))

# Logging in, accounts and roles.
_declare("otp_invalid", 400, _("Mã xác thực không đúng."))
_declare("otp_expired", 400, _("Mã xác thực đã hết hạn, vui lòng lấy mã mới."))
_declare("phone_invalid", 422, _("Số điện thoại không hợp lệ."), scan=True)
_declare("csrf_failed", 403,
         _("Phiên làm việc đã hết hạn hoặc thiếu mã bảo vệ; hãy tải lại trang."))
_declare("account_not_found", 404, _("Không tìm thấy tài khoản."))
_declare("account_out_of_scope", 403,
         _("Tài khoản này có quyền ngoài phạm vi quản lý của bạn."))
_declare("account_active", 409, _("Tài khoản đang hoạt động."))
_declare("account_disabled", 409, _("Tài khoản đã bị vô hiệu hóa."))
_declare("account_owns_venues", 409,
         _("Tài khoản đang quản lý địa điểm: hãy chuyển giao hoặc đóng địa điểm trước khi "
           "xóa tài khoản."))
_declare("own_account", 403, _("Không thể tự thay đổi tài khoản của mình."))
_declare("area_out_of_scope", 403, _("Địa bàn ngoài phạm vi quản lý của bạn."))
_declare("role_invalid", 422, _("Vai trò không hợp lệ."))
_declare("sector_invalid", 422, _("Lĩnh vực không hợp lệ."))
_declare("grant_exists", 409, _("Tài khoản đã có quyền này."))
_declare("grant_not_found", 404, _("Không tìm thấy quyền."))
_declare("not_an_officer", 403, _("Chỉ cán bộ quản lý xem được thống kê."))

# Input in general.
_declare("required", 422, _("Thiếu thông tin bắt buộc."))
_declare("too_long", 422, _("%(label)s dài quá %(n)s ký tự."))
_declare("date_invalid", 422, _("Ngày không hợp lệ (cần dạng dd/mm/yyyy hoặc YYYY-MM-DD)."))
_declare("date_range_invalid", 422, _("Ngày kết thúc trước ngày bắt đầu."))
_declare("date_range_too_long", 422, _("Khoảng thời gian quá dài (tối đa %(n)s ngày)."))
_declare("days_invalid", 422, _("Số ngày phải từ 1 đến %(n)s."))
_declare("area_unknown", 404, _("Không có địa bàn mã này."), also=(422,))
_declare("csv_encoding", 422, _("Tệp phải là CSV mã hóa UTF-8."))
_declare("csv_malformed", 422, _("Tệp CSV hỏng ở dòng %(n)s."))
_declare("csv_columns", 422, _("Thiếu cột: %(cols)s."))
_declare("csv_too_large", 422, _("Tệp quá lớn (tối đa %(n)s dòng)."))
_declare("emails_invalid", 422, _("Danh sách địa chỉ e-mail không hợp lệ."))

# People, consent, cards.
_declare("person_not_found", 404, _("Không tìm thấy người này."))
_declare("person_unknown", 404, _("Mã QR của một người không còn trong hệ thống."),
         also=(422,), scan=True)
_declare("person_required", 422, _("Hãy chọn ít nhất một người."))
_declare("person_lookup_invalid", 422,
         _("Cho biết đúng một trong: số điện thoại, số giấy tờ, mã QR."))
_declare("id_number_invalid", 422,
         _("Số giấy tờ không hợp lệ: cần 12 số (CCCD), 9 số (CMND) hoặc số hộ chiếu."),
         scan=True)
_declare("id_number_taken", 409,
         _("Số giấy tờ này đã được khai cho một người khác. Hãy kiểm tra lại; nếu đúng là của "
           "người này, hãy liên hệ cán bộ xã/phường."))
_declare("too_many_people", 409, _("Một tài khoản quản lý tối đa %(n)d người."))
_declare("consent_required", 409,
         _("Cần đồng ý với điều khoản xử lý dữ liệu trước khi khai báo."))
_declare("consent_version_unknown", 422, _("Phiên bản điều khoản không đúng."))
_declare("card_not_found", 404, _("Không tìm thấy thẻ này."))
_declare("serial_exhausted", 409, _("Không cấp được số sê-ri, hãy thử lại."))

# Personal QR codes: why a scanned code was refused (stored with the refused scan).
_declare("code_error", 422, _("Mã QR không hợp lệ."), scan=True)
_declare("code_unreadable", 422,
         _("Không đọc được mã QR. Hãy quét lại hoặc nhập thông tin bằng tay."), scan=True)
_declare("code_forged", 422, _("Mã QR không do hệ thống cấp hoặc đã bị sửa đổi."), scan=True)
_declare("code_expired", 422,
         _("Mã QR đã hết hạn. Hãy mở lại ứng dụng để lấy mã mới, hoặc xin cấp lại thẻ in."),
         scan=True)
_declare("code_unknown_key", 422,
         _("Mã QR được ký bằng một khóa mà hệ thống không nhận ra. Nếu dùng máy quét chuyên "
           "dụng, hãy cập nhật khóa cho máy."), scan=True)
_declare("code_outdated", 422,
         _("Mã QR này theo định dạng cũ. Hãy mở lại ứng dụng để lấy mã mới."), scan=True)
_declare("code_revoked", 422, _("Thẻ QR này đã bị thu hồi. Hãy dùng thẻ mới nhất."),
         scan=True)

# Declarations and alerts.
_declare("profile_incomplete", 422,
         _("Hãy hoàn tất hồ sơ (họ tên, xã/phường) trước khi khai báo."))
_declare("contradictory", 422, _("Đã trả lời không đi đâu nhưng lại ghi nơi đã đến."))
_declare("no_previous_declaration", 409, _("Chưa có tờ khai trước đó; hãy khai đầy đủ."))
_declare("renewal_not_allowed", 409,
         _("Tờ khai trước có triệu chứng hoặc tiếp xúc; hãy khai đầy đủ."))
_declare("alert_not_found", 404, _("Không tìm thấy cảnh báo."))

# Venues, staff, readers.
_declare("venue_unknown", 404, _("Không tìm thấy địa điểm."))
_declare("venue_not_found", 404, _("Không tìm thấy địa điểm."))
_declare("no_active_venues", 404, _("Bạn chưa có địa điểm nào đang hoạt động."))
_declare("venue_type_unknown", 422, _("Loại hình địa điểm không có trong danh mục."))
_declare("venue_duplicate", 409, _("Địa điểm này đã được đăng ký."))
_declare("venue_closed", 422, _("Địa điểm này đã ngừng hoạt động."))
_declare("venue_code_invalid", 422,
         _("Mã địa điểm gồm 13 chữ và số, như in dưới “Mã nhập tay” trên áp phích "
           "(ví dụ K7QM-2XHP-5RTA-9)."))
_declare("venue_code_retired", 422,
         _("Mã QR này không còn hiệu lực: địa điểm đã đổi mã. Hãy quét mã trên áp phích mới."))
_declare("gps_invalid", 422, _("Tọa độ không hợp lệ."))
_declare("poster_size_invalid", 422, _("Khổ giấy phải là A4, A5 hoặc A6."))
_declare("staff_exists", 409, _("Số điện thoại này đã là nhân viên của địa điểm."))
_declare("staff_is_owner", 422, _("Chủ địa điểm đã có quyền quét tại đây."))
_declare("staff_limit", 422, _("Mỗi địa điểm có tối đa %(n)s nhân viên."))
_declare("staff_unknown", 404, _("Số điện thoại này không phải nhân viên của địa điểm."))
_declare("device_limit", 422, _("Mỗi địa điểm có tối đa %(n)s máy quét."))
_declare("device_unknown", 404, _("Không tìm thấy máy quét."))

# Scans.
_declare("scan_time_invalid", 422,
         _("Thời điểm quét không hợp lệ: ở tương lai hoặc quá cũ."), scan=True)
_declare("nonce_conflict", 409, _("Mã nonce này đã được dùng cho một lượt quét khác."))
_declare("batch_too_large", 422, _("Tối đa %(n)s lượt quét mỗi lần gửi."))
_declare("photo_missing", 422, _("Chưa chọn ảnh."))
_declare("photo_too_large", 413,
         _("Ảnh quá lớn (tối đa %(limit)s điểm ảnh). Hãy chụp lại với độ phân giải thấp hơn."))
_declare("photo_decoder_busy", 503,
         _("Máy chủ đang đọc ảnh khác. Vui lòng thử lại sau giây lát."))
_declare("live_needs_asgi", 503,
         _("Luồng trực tiếp do máy chủ ASGI phục vụ (make serve-live hoặc make serve)."))

# Tracing: cases, requests, notices, pauses.
_declare("case_not_found", 404, _("Không tìm thấy ca bệnh."))
_declare("case_closed", 409, _("Ca bệnh đã đóng."))
_declare("format_invalid", 422, _("Định dạng phải là pdf hoặc xlsx."))
_declare("case_request_not_found", 404, _("Không tìm thấy yêu cầu này."))
_declare("confirmed_in_future", 422, _("Ngày xét nghiệm dương tính không thể ở tương lai."))
_declare("window_invalid", 422, _("Thời gian truy vết phải kết thúc sau khi bắt đầu."))
_declare("window_too_long", 422, _("Thời gian truy vết dài hơn %(n)s ngày cho phép."))
_declare("margin_invalid", 422, _("Biên thời gian phải từ 0 đến %(n)s phút."))
_declare("not_a_contact", 422, _("Có người không phải là người tiếp xúc của ca bệnh này."))
_declare("limit_invalid", 400, _("Số người mỗi trang (limit) phải là số nguyên từ 1 đến %(n)s."))
_declare("cursor_invalid", 400, _("Con trỏ trang (cursor) không hợp lệ: hãy dùng next_cursor "
                                  "của trang trước."))
_declare("person_ids_required", 422, _("Chọn ít nhất một người tiếp xúc."))
_declare("self_approval", 403, _("Không thể tự phê duyệt yêu cầu của mình."))
_declare("batch_not_found", 404, _("Không tìm thấy đợt thông báo."))
_declare("already_notified", 409, _("Những người này đã được thông báo."))
_declare("already_sent", 409, _("Đợt thông báo này đã được gửi."))
_declare("approval_required", 409, _("Đợt thông báo này cần cán bộ y tế khác phê duyệt."))
_declare("not_pending", 409, _("Đợt thông báo này không chờ phê duyệt."))
_declare("notice_unknown", 404, _("Không tìm thấy thông báo."))
_declare("notices_paused", 409,
         _("Việc gửi thông báo đang tạm dừng ở địa bàn của một số người được chọn."))
_declare("already_paused", 409, _("Thông báo ở địa bàn này đã đang tạm dừng."))
_declare("not_paused", 409, _("Thông báo ở địa bàn này đã được bật lại."))
_declare("pause_not_found", 404, _("Không tìm thấy lệnh tạm dừng này."))
_declare("pause_out_of_scope", 403,
         _("Bạn chỉ có thể tạm dừng hay bật lại thông báo trong địa bàn mình phụ trách."))
_declare("self_resume", 403,
         _("Cần một cán bộ y tế khác bật lại thông báo mà bạn đã tạm dừng."))
_declare("reason_required", 422, _("Cho biết lý do tạm dừng thông báo."))
_declare("reason_too_long", 422, _("Lý do dài quá %(n)s ký tự."))

# Reports: statistics, imports, inspections, daily reports.
_declare("sector_out_of_scope", 404, _("Không có số liệu lĩnh vực này trong phạm vi của bạn."))
_declare("import_kind", 422, _("Loại dữ liệu không hợp lệ."))
_declare("import_forbidden", 403, _("Chỉ cán bộ quản lý địa bàn mới nhập được danh sách."))
_declare("organisation_name", 422, _("Cần tên cơ quan, đơn vị."))
_declare("organisation_required", 422, _("Cần chọn cơ quan, đơn vị."))
_declare("establishment_unknown", 404,
         _("Không có cơ sở số đăng ký này trong phạm vi của bạn."))
_declare("subject_invalid", 422, _("Đối tượng kiểm tra không hợp lệ."))
_declare("result_invalid", 422, _("Kết quả không hợp lệ."))
_declare("inspected_at_future", 422, _("Thời điểm kiểm tra ở tương lai."))
_declare("violation_required", 422, _("Cần chọn hành vi vi phạm."))
_declare("violation_unknown", 422,
         _("Không có hành vi vi phạm này trong Nghị định 117/2020/NĐ-CP."))
_declare("fine_out_of_range", 422, _("Số tiền phạt ngoài khung của hành vi vi phạm."))
_declare("fine_without_violation", 422, _("Chỉ phạt tiền khi có vi phạm."))
_declare("inspection_unknown", 404, _("Không tìm thấy biên bản này."))
_declare("report_not_found", 404, _("Không tìm thấy báo cáo này."))
_declare("subscription_not_found", 404, _("Không tìm thấy đăng ký này."))

# Zones.
_declare("zone_not_found", 404, _("Không tìm thấy vùng."))
_declare("zone_kind", 422, _("Loại vùng không hợp lệ."))
_declare("zone_place", 422, _("Chọn một xã/phường hoặc một địa điểm."))
_declare("zone_dates", 422, _("Ngày của vùng không hợp lệ."))
_declare("zone_ended", 409, _("Vùng này đã kết thúc."))

# The job queue and long tasks.
_declare("failed_job_not_found", 404,
         _("Không tìm thấy công việc lỗi này (có thể đã được chạy lại)."))
_declare("task_not_found", 404, _("Không tìm thấy công việc này."))
_declare("task_not_owner", 403, _("Chỉ người đã bắt đầu công việc mới hủy được."))
_declare("task_finished", 409, _("Công việc đã kết thúc, không thể hủy."))
_declare("task_no_result", 409, _("Công việc chưa có kết quả để tải về."))
