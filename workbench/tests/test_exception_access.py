"""Every exception-queue URL × the buyer of ACME, a buyer of another company, a supplier's person and nobody:
the exact status, and a denial writes nothing and queues nothing."""

from urllib.parse import quote

import pytest

from notifications.models import OutboundMessage
from procurement.models import AuditEvent, ChangeRequest, ExceptionNote, Invoice, ProcurementException
from workbench.models import SavedView

from .queue_data import queue_seed

PERSONAS = ("buyer", "other_buyer", "supplier_user", "anonymous")

# name: (method, path, body, status for buyer, other_buyer, supplier_user, anonymous)
URLS = {
    "list": ("GET", "/workbench/exceptions/", None, (200, 200, 403, 302)),
    "detail": ("GET", "/workbench/exceptions/{price}/", None, (200, 404, 403, 302)),
    "claim": ("POST", "/workbench/exceptions/{price}/claim/", {}, (302, 404, 403, 302)),
    "assign": ("POST", "/workbench/exceptions/{price}/assign/", {"owner": "{buyer_id}"}, (302, 404, 403, 302)),
    "accept": ("POST", "/workbench/exceptions/{price}/accept/", {"note": "ok"}, (302, 404, 403, 302)),
    "accept-invoice": ("POST", "/workbench/exceptions/{invoice}/accept/", {}, (302, 404, 403, 302)),
    "reject": ("POST", "/workbench/exceptions/{price}/reject/", {"reason": "no"}, (302, 404, 403, 302)),
    "dismiss": ("POST", "/workbench/exceptions/{price}/dismiss/", {"reason": "dup"}, (302, 404, 403, 302)),
    "escalate": ("POST", "/workbench/exceptions/{price}/escalate/", {}, (302, 404, 403, 302)),
    "comment": ("POST", "/workbench/exceptions/{price}/comment/", {"body": "hm"}, (302, 404, 403, 302)),
    "bulk": (
        "POST",
        "/workbench/exceptions/bulk/",
        {"action": "dismiss", "reason": "dup", "ids": ["{price}"]},
        (302, 302, 403, 302),
    ),
    "view-create": (
        "POST",
        "/workbench/exceptions/views/",
        {"name": "Mine", "query": "sla=overdue"},
        (302, 302, 403, 302),
    ),
    "view-delete": ("POST", "/workbench/exceptions/views/{view}/delete/", {}, (302, 404, 403, 302)),
}


@pytest.fixture
def world(published_po, company, plant, supplier, buyer):
    q = queue_seed(published_po=published_po, company=company, plant=plant, supplier=supplier)
    view = SavedView.objects.create(user=buyer, name="Overdue", query="sla=overdue")
    return {"price": q.price.pk, "invoice": q.invoice_price.pk, "view": view.pk, "buyer_id": buyer.pk}


def snapshot() -> dict:
    return {
        "exceptions": list(ProcurementException.objects.order_by("id").values("id", "state", "owner_id", "resolution")),
        "changes": list(ChangeRequest.objects.order_by("id").values_list("id", "state")),
        "invoices": list(Invoice.objects.order_by("id").values_list("id", "match_status")),
        "audit": AuditEvent.objects.count(),
        "outbox": OutboundMessage.objects.count(),
        "notes": ExceptionNote.objects.count(),
        "views": list(SavedView.objects.order_by("id").values_list("id", "user_id", "name")),
    }


def _fill(value, world):
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value.format(**world) if isinstance(value, str) else value


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", list(URLS))
def test_every_url_answers_each_persona_exactly(client, world, request, name, persona):
    method, template, body, statuses = URLS[name]
    expected = statuses[PERSONAS.index(persona)]
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    path = template.format(**world)
    before = snapshot()

    data = {k: _fill(v, world) for k, v in (body or {}).items()}
    response = client.get(path) if method == "GET" else client.post(path, data)

    assert response.status_code == expected
    if persona == "anonymous":
        assert response["Location"] == f"/workbench/sign-in/?next={quote(path, safe='/')}"
    if persona == "buyer":
        return
    after = snapshot()
    if persona == "other_buyer" and name == "view-create":
        # A saved view of one's own is the only thing another company's buyer may write here.
        assert after["views"][-1][2] == "Mine" and after["views"][:-1] == before["views"]
        after["views"] = before["views"]
    assert after == before
    if persona == "other_buyer" and name == "list":
        assert list(response.context["page"].object_list) == []
        assert response.context["counts"]["all"] == 0


def test_the_matrix_covers_every_queue_url():
    from workbench import urls

    routes = {f"/workbench/{p.pattern}" for p in urls.urlpatterns if str(p.pattern).startswith("exceptions/")}
    covered = {
        template.replace("{price}", "<int:pk>").replace("{invoice}", "<int:pk>").replace("{view}", "<int:pk>")
        for _m, template, _b, _s in URLS.values()
    }

    assert covered == routes
