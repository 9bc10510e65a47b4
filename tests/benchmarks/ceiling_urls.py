"""The framework's ceiling: the least an API request can do here, served beside the gateway by the benchmark."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

PATH = "/api/v1/ping/"


class Ping(APIView):
    """Authenticate the API key, check its rate, answer a small JSON: the project's defaults, nothing else."""

    def get(self, request):
        return Response({"ok": True, "supplier": request.auth.supplier.code})


urlpatterns = [path(PATH.lstrip("/"), login_not_required(Ping.as_view()))]
