from django.urls import path

from . import views

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
]
