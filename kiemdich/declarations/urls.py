from django.urls import path

from kiemdich.declarations import views

app_name = "declarations"
urlpatterns = [
    path("<int:person_id>/", views.declare, name="declare"),
    path("<int:person_id>/renew/", views.renew, name="renew"),
]
