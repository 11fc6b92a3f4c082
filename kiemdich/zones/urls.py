from django.urls import path

from kiemdich.zones import views

app_name = "zones"
urlpatterns = [
    path("", views.zone_list, name="list"),
    path("new/", views.zone_new, name="new"),
    path("<int:zone_id>/lift/", views.zone_lift, name="lift"),
]
