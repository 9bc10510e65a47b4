from django.urls import path

from . import views
from .views import exceptions, requirements

app_name = "workbench"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("materials/bom/", views.bom_tree, name="bom_tree"),
    path("materials/where-used/", views.where_used, name="where_used"),
    path("materials/releases/", views.release_list, name="release_list"),
    path("materials/releases/<int:pk>/", views.release_detail, name="release_detail"),
    path("materials/releases/<int:pk>/release/", views.release_force, name="release_force"),
    path("materials/held/", views.held_list, name="held_list"),
    path("kpis/", views.kpi_dashboard, name="kpi_dashboard"),
    path("kpis/<slug:key>.csv", views.kpi_csv, name="kpi_csv"),
    path("suppliers/<str:code>/scorecard/", views.scorecard, name="scorecard"),
    path("documents/", views.document_list, name="document_list"),
    path("documents/in/<int:pk>/", views.inbound_detail, name="inbound_detail"),
    path("documents/in/<int:pk>/replay/", views.inbound_replay, name="inbound_replay"),
    path("documents/replay-requests/<int:pk>/approve/", views.replay_approve, name="replay_approve"),
    path("documents/out/<int:pk>/", views.outbound_detail, name="outbound_detail"),
    path("documents/out/<int:pk>/resend/", views.outbound_resend, name="outbound_resend"),
    path("supplier-invitations/", views.supplier_invitations, name="supplier_invitations"),
    path("inventory/", views.inventory_list, name="inventory_list"),
    path("inventory/items/<str:part>/", views.inventory_item, name="inventory_item"),
    path("inventory/variances/", views.variance_list, name="variance_list"),
    path("inventory/reconcile/", views.reconciliation_start, name="reconciliation_start"),
    path("exceptions/", exceptions.exception_list, name="exception_list"),
    path("exceptions/bulk/", exceptions.exception_bulk, name="exception_bulk"),
    path("exceptions/views/", exceptions.saved_view_create, name="saved_view_create"),
    path("exceptions/views/<int:pk>/delete/", exceptions.saved_view_delete, name="saved_view_delete"),
    path("exceptions/<int:pk>/", exceptions.exception_detail, name="exception_detail"),
    path("exceptions/<int:pk>/claim/", exceptions.exception_claim, name="exception_claim"),
    path("exceptions/<int:pk>/assign/", exceptions.exception_assign, name="exception_assign"),
    path("exceptions/<int:pk>/accept/", exceptions.exception_accept, name="exception_accept"),
    path("exceptions/<int:pk>/reject/", exceptions.exception_reject, name="exception_reject"),
    path("exceptions/<int:pk>/dismiss/", exceptions.exception_dismiss, name="exception_dismiss"),
    path("exceptions/<int:pk>/escalate/", exceptions.exception_escalate, name="exception_escalate"),
    path("exceptions/<int:pk>/comment/", exceptions.exception_comment, name="exception_comment"),
    path("requirements/shortages/", requirements.shortage_list, name="shortage_list"),
    path("requirements/items/<str:part>/", requirements.item_projection, name="item_projection"),
    path("requirements/planned/", requirements.planned_list, name="planned_list"),
    path("requirements/planned/<int:pk>/order/", requirements.planned_order, name="planned_order"),
]
