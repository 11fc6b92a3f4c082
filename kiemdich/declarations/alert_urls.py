"""The health officers' symptom-alert queue, mounted at /alerts/."""

from django.urls import path

from kiemdich.declarations import views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_queue, name="queue"),
    path("<int:alert_id>/", views.alert_detail, name="detail"),
]
