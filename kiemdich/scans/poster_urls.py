"""/v/<code>: the address a venue poster's QR code encodes."""

from django.urls import path

from kiemdich.scans import views

app_name = "checkin"
urlpatterns = [
    path("", views.enter_code, name="enter"),
    path("<str:code>", views.checkin, name="checkin"),
]
