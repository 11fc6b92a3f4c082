"""After a full run — logins (good and bad), people with ID numbers, declarations, scans by
code and by hand, refusals whose paths carry phone numbers, tracing — the log file written
through the production logging configuration holds no phone or ID number in clear."""

from __future__ import annotations

import copy
import logging
import logging.config
import re

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from kiemdich.privacy.logging import RedactPersonalData, redact
from tests.security.world import build

pytestmark = pytest.mark.django_db

PHONE, CHILD_PHONE, STAFF_PHONE = "0912345678", "0987654321", "0912000044"
ID_NUMBER, OTHER_ID = "001090123456", "079201234567"
SECRETS = [PHONE[1:], CHILD_PHONE[1:], STAFF_PHONE[1:], ID_NUMBER, OTHER_ID]


@pytest.fixture
def log_file(tmp_path):
    """The project's LOGGING, plus a file handler with the same filters as its console."""
    path = tmp_path / "kiemdich.log"
    config = copy.deepcopy(settings.LOGGING)
    console = config["handlers"]["console"]
    config["handlers"]["file"] = {"class": "logging.FileHandler", "filename": str(path),
                                  "formatter": console["formatter"],
                                  "filters": list(console["filters"])}
    config["root"] = {"handlers": ["console", "file"], "level": "DEBUG"}
    logging.config.dictConfig(config)
    yield path
    logging.config.dictConfig(settings.LOGGING)


def test_a_full_run_leaves_no_personal_number_in_the_log(areas, anon, outbox, log_file):
    world = build(areas)
    # Logins: a wrong code, then the right one.
    assert anon.post("/api/v1/auth/otp", {"phone": PHONE}).status_code == 202
    wrong = anon.post("/api/v1/auth/token", {"phone": PHONE, "code": "000000"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "otp_invalid")
    token = anon.post("/api/v1/auth/token",
                      {"phone": PHONE, "code": outbox.last_code("+84" + PHONE[1:])}).json()
    anon.token = token["token"]
    # People with ID numbers and phones; consent; a declaration with symptoms.
    me = anon.get("/api/v1/people").json()[0]
    assert anon.patch(f"/api/v1/people/{me['id']}",
                      {"full_name": "Phạm Minh Châu", "id_number": ID_NUMBER,
                       "area_code": "25993"}).status_code == 200
    child = anon.post("/api/v1/people", {"full_name": "Phạm Bảo Ngọc", "phone": CHILD_PHONE})
    assert child.status_code == 201, child.content
    anon.post("/api/v1/people", {"full_name": "x", "id_number": "12345"})  # refused: 422
    anon.post("/api/v1/consent", {"version": "2021-10"})
    no = dict.fromkeys(("visited_places", "cough", "shortness_of_breath", "pneumonia",
                        "sore_throat", "fatigue", "contact_case", "contact_from_outbreak",
                        "contact_symptomatic"), False)
    assert anon.post(f"/api/v1/people/{me['id']}/declarations",
                     {**no, "fever": True}).status_code == 201
    # Scans: the personal code, a phone typed by hand, ID numbers known and unknown.
    staff, venue = world.clients["staff"], world.ids["venue"]
    code = anon.get(f"/api/v1/people/{me['id']}/qr").json()["payload"]
    for body in ({"code": code}, {"phone": PHONE}, {"id_number": ID_NUMBER},
                 {"id_number": OTHER_ID}, {"code": f"{OTHER_ID}||Nguyễn Văn A|01011990|Nam||"}):
        staff.post(f"/api/v1/venues/{venue}/scans", {**body, "direction": "in"})
    # Refusals whose paths and queries carry a phone number.
    owner = world.clients["owner"]
    assert owner.delete(f"/api/v1/venues/{venue}/staff/{STAFF_PHONE}").status_code == 404
    world.clients["other_citizen"].get(f"/api/v1/venues/{venue}/staff/{PHONE}")
    # Tracing: an officer looks the person up and registers a case.
    health = world.clients["health"]
    health.get("/api/v1/people/search", {"phone": PHONE})
    health.get("/api/v1/people/search", {"id_number": ID_NUMBER})
    health.post("/api/v1/cases", {"person": {"phone": PHONE},
                                  "confirmed_at": "2026-01-01T08:00:00+07:00"})
    logging.getLogger("kiemdich").info("staff %s added at venue", STAFF_PHONE)

    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text("utf-8")
    assert "[redacted]" in text  # the run did log personal numbers, and they were blanked
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"in clear in the log: {leaked}\n{text[:3000]}"


def test_tracebacks_are_redacted_too(tmp_path):
    path = tmp_path / "x.log"
    handler = logging.FileHandler(path)
    handler.addFilter(RedactPersonalData())
    logger = logging.getLogger("kiemdich.tests.traceback")
    logger.addHandler(handler)
    try:
        raise ValueError(f'duplicate key (phone)=(+84{PHONE[1:]}) id {ID_NUMBER}')
    except ValueError:
        logger.exception("saving person %s failed", "+84" + PHONE[1:])
    finally:
        logger.removeHandler(handler)
        handler.close()
    text = path.read_text()
    assert "ValueError" in text and not any(s in text for s in SECRETS)


@pytest.mark.parametrize("text", ["+84912345678", "0912345678", "84912345678",
                                  "001090123456", "012345678", "/staff/0912345678/"])
def test_redact_blanks_each_form(text):
    assert not re.search(r"\d{9}", redact(text))


_MOBILE_PREFIXES = ["32", "33", "35", "39", "56", "58", "70", "76", "79", "81", "86", "89",
                    "90", "91", "94", "98"]
national_numbers = st.one_of(
    st.builds(lambda p, rest: p + rest, st.sampled_from(_MOBILE_PREFIXES),
              st.text("0123456789", min_size=7, max_size=7)),
    st.builds(lambda rest: "2" + rest, st.text("0123456789", min_size=9, max_size=9)))
prefixes = st.sampled_from(["0", "+84", "84", "+84 ", "84 ", "+84 0", "(+84) ", "+84-", "0084",
                            "0084 ", "%2B84"])
separators = st.sampled_from(["", " ", ".", "-", " - ", "(", ")", "%20"])
# Around the number: words and punctuation, never a digit (which would make it another number).
surroundings = st.text(st.characters(blacklist_categories=["Nd", "Cs"]), max_size=20)


@st.composite
def written_phones(draw) -> tuple[str, str]:
    """A phone number as someone may write it: a prefix, then the national number cut into
    groups by separators, inside arbitrary text."""
    national = draw(national_numbers)
    cuts = sorted(draw(st.sets(st.integers(1, len(national) - 1), max_size=4)))
    groups = [national[a:b] for a, b in zip([0, *cuts], [*cuts, len(national)], strict=True)]
    written = draw(prefixes) + "".join(g + draw(separators) for g in groups[:-1]) + groups[-1]
    return national, draw(surroundings) + written + draw(surroundings)


@given(written_phones())
def test_redact_blanks_a_phone_number_in_every_common_form(example):
    national, text = example
    digits_left = re.sub(r"\D", "", redact(text))
    assert national not in digits_left, redact(text)


@pytest.mark.parametrize("text", ["2026-12-01 10:03:00", "01-12-2026 10:03", "scans: 5000…",
                                  "venue 731 at 09:30", "batch 1 of 12 took 0.05 s"])
def test_redact_leaves_dates_times_and_counts_alone(text):
    assert redact(text) == text
