from django.urls import path

from kiemdich.privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.my_data, name="my_data"),
    path("delete/", views.delete_account, name="delete_account"),
    path("consent/withdraw/", views.withdraw_consent, name="withdraw_consent"),
    path("audit/", views.audit_search, name="audit"),
    path("flags/", views.flags, name="flags"),
]
