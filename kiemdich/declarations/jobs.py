"""The escalation of symptom alerts nobody handled in time (kiemdich.declarations.services)."""

from django.utils.translation import gettext_lazy as _

from kiemdich.declarations import services
from kiemdich.jobs.registry import periodic


@periodic("alerts.escalate", cron="* * * * *", timeout=60,
          description=_("Chuyển cảnh báo triệu chứng chưa xử lý lên cấp trên"))
def escalate() -> str:
    return f"{services.escalate_due()} alert(s) escalated"
