from django.urls import path

from shoplink.api.v1 import api

urlpatterns = [path("v1/", api.urls)]
