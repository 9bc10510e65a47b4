from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .views import (
    acknowledgements,
    documents,
    exceptions,
    inventory,
    invoices,
    materials,
    purchase_orders,
    receipts,
    reconciliation,
    requirements,
    shipments,
    webhooks,
)


def open_to_keys(view_class):
    """API views authenticate with API keys, not the site's login; the middleware must let them through."""
    return login_not_required(view_class.as_view())


urlpatterns = [
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="api-schema"),
    # The split view serves Swagger UI's init script from a URL of its own: the page has no inline script.
    path(
        "docs/",
        login_not_required(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html")
        ),
        name="api-docs",
    ),
    path("v1/purchase-orders/", open_to_keys(purchase_orders.PurchaseOrderList)),
    path("v1/purchase-orders/<int:pk>/", open_to_keys(purchase_orders.PurchaseOrderDetail)),
    path("v1/purchase-orders/<int:pk>/revisions/", open_to_keys(purchase_orders.RevisionList)),
    path("v1/purchase-orders/<int:pk>/revisions/<int:revision>/", open_to_keys(purchase_orders.RevisionDetail)),
    path("v1/acknowledgements/", open_to_keys(acknowledgements.AcknowledgementCreate)),
    path("v1/shipments/", open_to_keys(shipments.ShipmentCreate)),
    path("v1/invoices/", open_to_keys(invoices.Invoices)),
    path("v1/invoices/<int:pk>/", open_to_keys(invoices.InvoiceDetail)),
    path("v1/documents/", open_to_keys(documents.DocumentList)),
    path("v1/documents/<int:pk>/", open_to_keys(documents.DocumentDetail)),
    path("v1/exceptions/", open_to_keys(exceptions.SupplierExceptionList)),
    path("v1/system/purchase-orders/", open_to_keys(purchase_orders.SystemPurchaseOrders)),
    path("v1/system/purchase-orders/<int:pk>/", open_to_keys(purchase_orders.SystemPurchaseOrderDetail)),
    path("v1/system/receipts/", open_to_keys(receipts.SystemReceiptCreate)),
    path("v1/system/exceptions/", open_to_keys(exceptions.SystemExceptionList)),
    path("v1/system/exceptions/<int:pk>/assign/", open_to_keys(exceptions.SystemExceptionAssign)),
    path("v1/system/exceptions/<int:pk>/accept/", open_to_keys(exceptions.SystemExceptionAccept)),
    path("v1/system/exceptions/<int:pk>/reject/", open_to_keys(exceptions.SystemExceptionReject)),
    path("v1/system/exceptions/<int:pk>/dismiss/", open_to_keys(exceptions.SystemExceptionDismiss)),
    path("v1/system/exceptions/<int:pk>/comment/", open_to_keys(exceptions.SystemExceptionComment)),
    path("v1/system/items/", open_to_keys(materials.SystemItemBatch)),
    path("v1/system/items/<str:part_number>/where-used/", open_to_keys(materials.SystemWhereUsed)),
    path("v1/system/boms/<str:part_number>/", open_to_keys(materials.SystemBom)),
    path("v1/system/bom-releases/", open_to_keys(materials.SystemBomReleases)),
    path("v1/system/bom-releases/<int:pk>/", open_to_keys(materials.SystemBomReleaseDetail)),
    path("v1/system/inventory-events/", open_to_keys(inventory.SystemInventoryEvents)),
    path("v1/system/inventory-events/bulk/", open_to_keys(inventory.SystemInventoryBulk)),
    path("v1/system/inventory-snapshots/", open_to_keys(inventory.SystemInventorySnapshots)),
    path("v1/system/inventory-balances/", open_to_keys(inventory.SystemInventoryBalances)),
    path("v1/system/items/<str:part_number>/inventory-events/", open_to_keys(inventory.SystemInventoryHistory)),
    path("v1/system/inventory-reconciliations/", open_to_keys(reconciliation.SystemInventoryReconciliations)),
    path(
        "v1/system/inventory-reconciliations/<int:pk>/",
        open_to_keys(reconciliation.SystemInventoryReconciliationDetail),
    ),
    path("v1/system/demands/", open_to_keys(requirements.SystemDemands)),
    path("v1/system/requirement-runs/", open_to_keys(requirements.SystemRequirementRuns)),
    path("v1/system/requirement-runs/<int:pk>/", open_to_keys(requirements.SystemRequirementRunDetail)),
    path("v1/system/shortages/", open_to_keys(requirements.SystemShortages)),
    path("v1/system/planned-purchases/", open_to_keys(requirements.SystemPlannedPurchases)),
    path("v1/system/planned-purchases/<int:pk>/order/", open_to_keys(requirements.SystemPlannedPurchaseOrder)),
    path("v1/system/items/<str:part_number>/projection/", open_to_keys(requirements.SystemItemProjection)),
    path("v1/webhooks/", open_to_keys(webhooks.Webhooks)),
    path("v1/webhooks/<int:pk>/", open_to_keys(webhooks.WebhookDetail)),
    path("v1/webhooks/<int:pk>/rotate-secret/", open_to_keys(webhooks.WebhookRotateSecret)),
    path("v1/webhooks/<int:pk>/enable/", open_to_keys(webhooks.WebhookEnable)),
    path("v1/webhooks/<int:pk>/deliveries/", open_to_keys(webhooks.WebhookDeliveries)),
    path("v1/webhooks/<int:pk>/deliveries/redeliver/", open_to_keys(webhooks.WebhookRedeliverMatching)),
    path("v1/webhooks/<int:pk>/deliveries/<int:delivery_id>/redeliver/", open_to_keys(webhooks.WebhookRedeliver)),
]
