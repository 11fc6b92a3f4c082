from django.urls import path

from kiemdich.venues import views

app_name = "venues"
urlpatterns = [
    path("", views.venue_list, name="list"),
    path("new/", views.venue_new, name="new"),
    path("communes/", views.communes, name="communes"),
    path("posters.pdf", views.posters_pdf, name="posters_pdf"),
    path("<int:venue_id>/", views.venue_detail, name="detail"),
    path("<int:venue_id>/edit/", views.venue_edit, name="edit"),
    path("<int:venue_id>/status/", views.venue_status, name="status"),
    path("<int:venue_id>/rotate/", views.venue_rotate, name="rotate"),
    path("<int:venue_id>/staff/", views.staff_add, name="staff_add"),
    path("<int:venue_id>/staff/remove/", views.staff_remove, name="staff_remove"),
    path("<int:venue_id>/devices/", views.device_add, name="device_add"),
    path("<int:venue_id>/devices/<int:device_id>/revoke/", views.device_revoke,
         name="device_revoke"),
    path("<int:venue_id>/poster.pdf", views.poster_pdf, name="poster_pdf"),
    path("<int:venue_id>/poster.png", views.poster_png, name="poster_png"),
    path("directory/", views.directory, name="directory"),
    path("directory/<int:venue_id>/", views.directory_detail, name="directory_detail"),
]
