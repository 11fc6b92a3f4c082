from django.urls import path

from kiemdich.operations import views

app_name = "operations"
urlpatterns = [path("", views.figures, name="figures")]
