from django.urls import path

from . import views

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
    path("supplier-invitations/", views.supplier_invitations, name="supplier_invitations"),
]
