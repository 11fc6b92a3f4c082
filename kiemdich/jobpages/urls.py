from django.urls import path

from kiemdich.jobpages import views

app_name = "jobs"
urlpatterns = [
    path("", views.jobs, name="jobs"),
    path("failed/<str:task_id>/retry", views.retry, name="retry"),
    path("tasks/<int:pk>/", views.task, name="task"),
    path("tasks/<int:pk>/cancel", views.task_cancel, name="task_cancel"),
    path("tasks/<int:pk>/result", views.task_result, name="task_result"),
    path("tasks/<int:pk>/errors.csv", views.task_errors, name="task_errors"),
]
