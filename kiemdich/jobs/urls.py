from django.urls import path

from kiemdich.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.jobs, name="jobs"),
    path("failed/<str:task_id>/retry", views.retry, name="retry"),
]
