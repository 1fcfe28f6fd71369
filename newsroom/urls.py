from django.contrib import admin
from django.urls import path

from factcards import views

urlpatterns = [
    path("", views.card_list, name="card_list"),
    path("cards/<slug:slug>/", views.card_detail, name="card_detail"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
