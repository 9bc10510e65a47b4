from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views


def open_to_keys(view_class):
    """API views authenticate with API keys, not the site's login; the middleware must let them through."""
    return login_not_required(view_class.as_view())


urlpatterns = [
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="api-schema"),
    path("docs/", login_not_required(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
    path("v1/purchase-orders/", open_to_keys(views.PurchaseOrderList)),
    path("v1/purchase-orders/<int:pk>/", open_to_keys(views.PurchaseOrderDetail)),
    path("v1/purchase-orders/<int:pk>/revisions/", open_to_keys(views.RevisionList)),
    path("v1/purchase-orders/<int:pk>/revisions/<int:revision>/", open_to_keys(views.RevisionDetail)),
    path("v1/acknowledgements/", open_to_keys(views.AcknowledgementCreate)),
    path("v1/shipments/", open_to_keys(views.ShipmentCreate)),
    path("v1/invoices/", open_to_keys(views.Invoices)),
    path("v1/invoices/<int:pk>/", open_to_keys(views.InvoiceDetail)),
    path("v1/documents/", open_to_keys(views.DocumentList)),
    path("v1/documents/<int:pk>/", open_to_keys(views.DocumentDetail)),
    path("v1/exceptions/", open_to_keys(views.SupplierExceptionList)),
    path("v1/system/purchase-orders/", open_to_keys(views.SystemPurchaseOrderCreate)),
    path("v1/system/receipts/", open_to_keys(views.SystemReceiptCreate)),
    path("v1/system/exceptions/", open_to_keys(views.SystemExceptionList)),
    path("v1/webhooks/", open_to_keys(views.Webhooks)),
    path("v1/webhooks/<int:pk>/", open_to_keys(views.WebhookDetail)),
    path("v1/webhooks/<int:pk>/rotate-secret/", open_to_keys(views.WebhookRotateSecret)),
    path("v1/webhooks/<int:pk>/enable/", open_to_keys(views.WebhookEnable)),
    path("v1/webhooks/<int:pk>/deliveries/", open_to_keys(views.WebhookDeliveries)),
    path("v1/webhooks/<int:pk>/deliveries/redeliver/", open_to_keys(views.WebhookRedeliverMatching)),
    path("v1/webhooks/<int:pk>/deliveries/<int:delivery_id>/redeliver/", open_to_keys(views.WebhookRedeliver)),
]
