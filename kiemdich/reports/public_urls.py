from django.urls import path

from kiemdich.reports import views

app_name = "progress"
urlpatterns = [path("", views.progress, name="progress")]
