from django.urls import path

from . import views
from .views import exceptions

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
]
