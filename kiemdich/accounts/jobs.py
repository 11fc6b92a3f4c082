"""SMS delivery through the job queue (kiemdich.accounts.sms)."""

from django.utils.translation import gettext_lazy as _

from kiemdich.accounts import sms
from kiemdich.jobs.registry import job, periodic


@job(sms.DELIVER_JOB, description=_("Gửi một tin nhắn SMS"), timeout=120)
def deliver(message_id: str) -> str:
    return sms.deliver(message_id)


# A delivery cut short (its worker killed) is taken up again within about two minutes,
# not only when the queue re-delivers its task (JOB_RETRY, half an hour).
@periodic("sms.stalled", cron="* * * * *", timeout=60,
          description=_("Gửi lại các tin nhắn SMS bị gián đoạn"))
def stalled() -> str:
    return f"{sms.requeue_stalled()} message(s) queued again"
