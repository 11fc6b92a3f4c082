"""Device authentication: `Authorization: Device <token>`, a dedicated reader acting for its
one venue. It lives with the devices it finds (accounts authenticates people, below venues,
and never imports them); `SCANNER_AUTH` is what a reader's endpoints accept."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.security import APIKeyHeader

from kiemdich.accounts.auth import bearer_auth, session_auth
from kiemdich.core.errors import Unauthorized
from kiemdich.venues.devices import device_for_token, refusal_reason
from kiemdich.venues.models import Device

_DEVICE_REFUSALS = {
    "device_revoked": _("Máy quét này đã bị chủ địa điểm thu hồi."),
    "device_expired": _("Ca làm việc của máy quét đã hết: nhân viên cần đăng nhập lại."),
}


class DeviceAuth(APIKeyHeader):
    """`Authorization: Device <token>`: a dedicated reader acting for its one venue."""

    param_name = "Authorization"

    def authenticate(self, request: HttpRequest, key: str | None) -> Device | None:
        if not key or not key.startswith("Device "):
            return None
        token = key[len("Device "):].strip()
        device = device_for_token(token)
        if device is not None:
            request.device = device  # type: ignore[attr-defined]  # read by ApiRequest
            return device
        # A kiosk must tell "sign in again" (its scans wait) from "taken back" (it stops):
        # the code stays `unauthorized`, the reason says which.
        reason = refusal_reason(token) if token else None
        if reason is not None:
            raise Unauthorized(_DEVICE_REFUSALS[reason], extra={"reason": reason})
        return None


device_auth = DeviceAuth()
SCANNER_AUTH = [device_auth, bearer_auth, session_auth]
