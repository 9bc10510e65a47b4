from django.urls import path

from . import views
from .views import acknowledge, documents, integrations, invoices, notifications, scorecard, shipments, uploads

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("switch/", views.switch_supplier, name="switch_supplier"),
    path("orders/", views.inbox, name="inbox"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("people/", views.people, name="people"),
    path("people/invite/", views.invite, name="invite"),
    path("people/<int:pk>/", views.membership_update, name="membership_update"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/accept/<str:token>/", views.invitation_accept, name="invitation_accept"),
    # Answering POs, shipping and invoicing; what was sent, by any channel.
    path("orders/<int:po_id>/acknowledge/", acknowledge.acknowledge, name="acknowledge"),
    path("ship-notices/new/", shipments.ship_notice_new, name="ship_notice_new"),
    path("ship-notices/<int:shipment_id>/labels.pdf", shipments.shipment_labels, name="shipment_labels"),
    path("orders/<int:po_id>/invoice/", invoices.invoice_from_po, name="invoice_from_po"),
    path("ship-notices/<int:shipment_id>/invoice/", invoices.invoice_from_shipment, name="invoice_from_shipment"),
    path("invoices/<int:invoice_id>/", invoices.invoice_detail, name="invoice_detail"),
    path("uploads/", uploads.upload_new, name="upload_new"),
    path("uploads/template/<slug:kind>.csv", uploads.upload_template, name="upload_template"),
    path("uploads/<int:document_id>/", uploads.upload_detail, name="upload_detail"),
    path("uploads/<int:document_id>/apply/", uploads.upload_apply, name="upload_apply"),
    path("documents/", documents.document_list, name="document_list"),
    path("documents/<int:document_id>/", documents.document_detail, name="document_detail"),
    # What happened, for this person: the inbox and how they hear of each event by e-mail.
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
    path("notifications/settings/", notifications.notification_settings, name="notification_settings"),
    # Supplier admins: their own API keys and webhooks, and what their people did.
    path("integrations/", integrations.integrations_page, name="integrations"),
    path("integrations/keys/", integrations.api_key_new, name="api_key_new"),
    path("integrations/keys/<int:pk>/revoke/", integrations.api_key_revoke, name="api_key_revoke"),
    path("integrations/webhooks/", integrations.webhook_new, name="webhook_new"),
    path("integrations/webhooks/<int:pk>/", integrations.webhook_change, name="webhook_change"),
    path("activity/", integrations.activity, name="activity"),
    path("scorecard/", scorecard.scorecard, name="scorecard"),
]
