from django.urls import path

from kiemdich.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("report.pdf", views.report, {"fmt": "pdf"}, name="report_pdf"),
    path("report.xlsx", views.report, {"fmt": "xlsx"}, name="report_xlsx"),
    path("daily/", views.daily_reports, name="daily"),
    path("daily/<int:pk>/unsubscribe", views.daily_unsubscribe, name="daily_unsubscribe"),
    path("daily/<int:pk>.pdf", views.daily_file, {"fmt": "pdf"}, name="daily_pdf"),
    path("daily/<int:pk>.xlsx", views.daily_file, {"fmt": "xlsx"}, name="daily_xlsx"),
    path("coverage/", views.coverage_page, name="coverage"),
    path("imports/", views.import_csv, name="import"),
    path("compliance/", views.compliance_page, name="compliance"),
    path("inspections/", views.inspection_list, name="inspections"),
    path("inspections/new/", views.inspection_new, name="inspection_new"),
    path("inspections/venues/", views.inspection_venues, name="inspection_venues"),
    path("inspections/people/", views.inspection_people, name="inspection_people"),
    path("inspections/photo/", views.inspection_photo, name="inspection_photo"),
    path("inspections/<int:pk>/bien-ban.pdf", views.inspection_record,
         name="inspection_record"),
]
