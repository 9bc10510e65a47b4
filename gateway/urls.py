from django.contrib import admin
from django.urls import include, path

from workbench import views as workbench_views

from . import views
from .signin import StaffAuthenticationForm

admin.site.site_header = "Supplier gateway"
admin.site.site_title = "Supplier gateway"
admin.site.index_title = "Procurement record, exceptions and outbox"
admin.site.login_form = StaffAuthenticationForm

urlpatterns = [
    path("", workbench_views.start, name="start"),
    path("workbench/", include("workbench.urls")),
    path("portal/", include("portal.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.health, name="health"),
    path("readyz", views.ready, name="ready"),
    path("metrics", views.metrics, name="metrics"),
]

handler400 = "api.middleware.bad_request"
handler404 = "api.middleware.not_found"
handler500 = "api.middleware.server_error"
