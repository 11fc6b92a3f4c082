from django.urls import path

from kiemdich.scans import views

app_name = "scans"
urlpatterns = [
    path("history/", views.history, name="history"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("<int:venue_id>/", views.kiosk, name="kiosk"),
    path("<int:venue_id>/live/", views.live, name="live"),
    path("<int:venue_id>/visits/", views.visits, name="visits"),
]
