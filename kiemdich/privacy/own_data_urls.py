from django.urls import path

from kiemdich.privacy import views

app_name = "own_data"
urlpatterns = [
    path("my-data.json", views.my_data_json, name="json"),
    path("my-data.pdf", views.my_data_pdf, name="pdf"),
]
