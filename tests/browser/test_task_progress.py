"""A long task's page in Chromium on a 360 px phone: an officer uploads a roster of
establishments through the coverage page's form, the progress bar moves as the worker (a
real `run_worker` process) commits its chunks, and reaches done with the result and the
error file offered."""

from __future__ import annotations

import pytest

from tests.browser.conftest import new_context
from tests.faults.harness import ApiServer
from tests.jobs.harness import Worker, portal, served_database
from tests.jobs.test_imports import establishments

# The bar's values as the widget moves it, kept across the reload that shows the result.
WATCH_BAR = """() => {
  const bar = document.querySelector('[data-task-bar]');
  new MutationObserver(() => {
    const seen = JSON.parse(sessionStorage.getItem('barValues') || '[]');
    seen.push(Number(bar.value));
    sessionStorage.setItem('barValues', JSON.stringify(seen));
  }).observe(bar, {attributes: true});
}"""


@pytest.fixture
def env(tmp_path):
    with served_database(tmp_path) as env:
        yield env


def test_the_progress_bar_reaches_done_on_a_phone(env, browser, tmp_path):
    login = portal(env, "officer", "0912000903")
    text, errors = establishments(200_000)
    with ApiServer(env, workers=1) as server:
        context = new_context(browser, server.url, viewport={"width": 360, "height": 780})
        context.add_cookies([{"name": login["cookie"], "value": login["session"],
                              "url": server.url}])
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto("/reports/coverage/?area=75")
        page.select_option("select[name=kind]", "establishments")
        page.set_input_files("input[name=file]", files=[{
            "name": "co-so.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")}])
        page.click("#import button[type=submit]")
        page.wait_for_url("**/jobs/tasks/*/")
        assert page.inner_text("[data-task-status]") == "Đang chờ"
        assert page.inner_text("[data-task-percent]") == "0 %"
        page.evaluate(WATCH_BAR)
        page.screenshot(path=str(tmp_path / "task-waiting-360.png"), full_page=True)
        with Worker(env) as worker:
            try:
                page.wait_for_selector("[data-task-result]", timeout=240_000)
            except Exception:
                raise AssertionError(worker.output()) from None
        seen = page.evaluate("JSON.parse(sessionStorage.getItem('barValues') || '[]')")
        assert len({value for value in seen if 0 < value < 100}) >= 2, seen
        assert page.inner_text("[data-task-status]") == "Hoàn tất"
        assert page.inner_text("[data-task-percent]") == "100 %"
        assert page.get_attribute("[data-task-bar]", "value") == "100"
        assert "Đã xử lý 200.000/200.000 dòng" in page.inner_text("#task-counts")
        assert "21 dòng lỗi" in page.inner_text("#task-counts")
        assert "tạo mới 199.979, cập nhật 0" in page.inner_text("[data-task-result]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(tmp_path / "task-done-360.png"), full_page=True)
        with page.expect_download() as download:
            page.click("[data-task-error-file]")
        lines = download.value.path().read_text(encoding="utf-8-sig").splitlines()
        assert len(lines) == 1 + len(errors)
        assert lines[1] == '"10001","sector","lĩnh vực không hợp lệ"'
        context.close()
