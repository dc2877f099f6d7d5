from django.urls import path

from trademan.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard, name="index"),
    path("task/<str:task_kind>/<int:pk>/", views.task, name="task"),
]
