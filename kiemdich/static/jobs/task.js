/* The progress widget of every long task's page: polls GET /api/v1/tasks/{id} and moves the
   bar and the counts; once the task has finished, loads the page again, which shows the
   result, the error file and the counts as the server renders them. */
"use strict";
(function () {
  const box = document.querySelector("[data-task]");
  if (!box || box.dataset.finished === "1") { return; }
  const lang = document.documentElement.lang || "vi";
  const number = function (n) { return Number(n).toLocaleString(lang === "vi" ? "vi-VN" : lang); };
  const fill = function (text, values) {
    return text.replace(/\{(\w+)\}/g, function (_m, key) { return values[key]; });
  };
  const bar = box.querySelector("[data-task-bar]");
  const percent = box.querySelector("[data-task-percent]");
  const counts = box.querySelector("[data-task-counts]");
  const errors = box.querySelector("[data-task-errors]");
  const status = box.querySelector("[data-task-status]");
  let delay = 1000;

  function show(task) {
    bar.value = task.percent;
    bar.textContent = task.percent + " %";
    percent.textContent = task.percent + " %";
    status.textContent = task.status_label;
    counts.textContent = fill(task.total === null ? box.dataset.countingText : box.dataset.countsText,
      { done: number(task.done), total: number(task.total) });
    errors.textContent = fill(box.dataset.errorsText, { errors: number(task.error_count) });
  }

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) {
        if (!answer.ok) { throw new Error(String(answer.status)); }
        return answer.json();
      })
      .then(function (task) {
        show(task);
        if (task.finished) { location.reload(); return; }
        delay = 1000;
        setTimeout(poll, delay);
      })
      .catch(function () {
        // A server restarting or the network away: try again, less often.
        delay = Math.min(delay * 2, 15000);
        setTimeout(poll, delay);
      });
  }
  setTimeout(poll, delay);
})();
