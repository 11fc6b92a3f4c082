from django.urls import path

from kiemdich.people import views

app_name = "people"
urlpatterns = [
    path("add/", views.add_person, name="add"),
    path("communes/", views.communes, name="communes"),
    path("consent/", views.consent, name="consent"),
    path("my-data/", views.my_data, name="my_data"),
    path("<int:person_id>/edit/", views.edit_person, name="edit"),
    path("<int:person_id>/qr/", views.qr_page, name="qr"),
    path("cards.pdf", views.family_cards, name="family_cards"),
    path("<int:person_id>/card/", views.card_page, name="card"),
    path("<int:person_id>/cards/<int:serial>/revoke/", views.revoke_card, name="revoke_card"),
]
