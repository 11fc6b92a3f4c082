from tests.reports.conftest import portal  # noqa: F401  (logged-in officer clients)
