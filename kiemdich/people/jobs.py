"""The people app's scheduled job: signing keys retired once their codes have expired."""

from django.utils.translation import gettext_lazy as _

from kiemdich.core.audit import record
from kiemdich.jobs.registry import periodic
from kiemdich.people import keys


# Nightly (docs/operations.md, "Rotating keys"); the same as `signing_keys retire`.
@periodic("keys.retire", cron="50 3 * * *", timeout=300,
          description=_("Loại bỏ khóa ký mã QR đã hết hạn"))
def retire_expired_keys() -> str:
    retired = keys.retire()
    for row in retired:
        record("signing_keys", "signing_key_retired", target=f"key:{row.kid}",
               reason="expired")
    return f"retired: {' '.join(r.kid for r in retired) or 'none'}"
