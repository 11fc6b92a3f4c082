from django.urls import path

from kiemdich.accounts import officer_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("officers/", officer_views.officer_list, name="officers"),
    path("officers/new/", officer_views.officer_new, name="officer_new"),
    path("officers/import/", officer_views.officer_import, name="officer_import"),
    path("officers/<int:user_id>/", officer_views.officer_detail, name="officer"),
    path("officers/grants/<int:grant_id>/", officer_views.grant_edit, name="grant_edit"),
    path("officers/<int:user_id>/grants/<int:grant_id>/<str:action>/",
         officer_views.officer_action, name="grant_action"),
    path("officers/<int:user_id>/<str:action>/", officer_views.officer_action,
         name="officer_action"),
]
