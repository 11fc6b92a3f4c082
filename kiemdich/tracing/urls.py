from django.urls import path

from kiemdich.tracing import views

app_name = "tracing"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.register, name="register"),
    path("pauses/", views.pause, name="pause"),
    path("requests/<int:request_id>/", views.decide_request, name="decide_request"),
    path("pauses/<int:pause_id>/resume/", views.resume, name="resume"),
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/window/", views.edit_window, name="window"),
    path("<int:case_id>/notices/", views.notify, name="notify"),
    path("<int:case_id>/f2/", views.f2, name="f2"),
    path("<int:case_id>/close/", views.close, name="close"),
    path("<int:case_id>/export/", views.export, name="export"),
    path("batches/<int:batch_id>/approve/", views.approve, name="approve"),
    path("notices/<int:notice_id>/read/", views.read_notice, name="read_notice"),
]
