from django.urls import path

from . import views
from .views import acknowledge, documents

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    # Answering POs, shipping and invoicing; what was sent, by any channel.
    path("orders/<int:po_id>/acknowledge/", acknowledge.acknowledge, name="acknowledge"),
    path("documents/", documents.document_list, name="document_list"),
    path("documents/<int:document_id>/", documents.document_detail, name="document_detail"),
]
