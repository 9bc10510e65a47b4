"""Materials pages: a BOM as of a date and plant, where-used, the release history with its diffs,
and the releases held back with what each waits for (a planner may release one)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from gateway.actors import Actor
from materials import selectors
from materials.models import BomRelease
from materials.services import InvalidAction, NotFound, bom_release_force
from procurement.models import CompanyMembership
from procurement.selectors import company_roles_for

from ..forms import BomForm, ReleaseFilterForm, WhereUsedForm
from .access import buyer_page

RELEASES_PER_PAGE = 50
PLANNER = CompanyMembership.Role.PLANNER


@require_GET
@buyer_page
def bom_tree(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = BomForm(request.GET if "part" in request.GET else None, actor=actor)
    tree = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        tree = selectors.bom_as_of(
            actor=actor,
            company_code=data["company"],
            part_number=data["part"],
            plant_code=data["plant"],
            on=data["on"],
            bom_type=data["bom_type"],
            serial=data["serial"] or None,
        )
    return render(request, "workbench/bom_tree.html", {"form": form, "tree": tree, "section": "bom"})


@require_GET
@buyer_page
def where_used(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = WhereUsedForm(request.GET if "part" in request.GET else None, actor=actor)
    rows, known = None, True
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        rows = selectors.where_used(
            actor=actor,
            company_code=data["company"],
            part_number=data["part"],
            plant_code=data["plant"] or None,
            on=data["on"],
        )
        known = bool(rows) or selectors.part_known(actor=actor, company_code=data["company"], part_number=data["part"])
    context = {"form": form, "rows": rows, "known": known, "section": "where_used"}
    return render(request, "workbench/where_used_list.html", context)


@require_GET
@buyer_page
def release_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = ReleaseFilterForm(request.GET or None, actor=actor)
    releases = selectors.bom_releases_for(actor=actor).none()
    if not form.is_bound:
        releases = selectors.bom_releases_for(actor=actor, company_code=form.fields["company"].initial)
    elif form.is_valid():
        data = form.cleaned_data
        releases = selectors.bom_releases_for(
            actor=actor, company_code=data["company"], part_number=data["part"] or None, state=data["state"] or None
        )
    page = Paginator(releases, RELEASES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "workbench/release_list.html", {"form": form, "page": page, "section": "releases"})


@require_GET
@buyer_page
def release_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    release = selectors.bom_releases_for(actor=actor).filter(pk=pk).first()
    if release is None:
        raise Http404("No such release.")
    others = (
        selectors.bom_releases_for(actor=actor, company_code=None, part_number=release.parent_part_number)
        .filter(company_id=release.company_id, bom_type=release.bom_type)
        .exclude(pk=release.pk)
        .exclude(revision="")
    )
    against = request.GET.get("against", "")
    if against and not (against.isdigit() and others.filter(pk=int(against)).exists()):
        raise Http404("No such release to compare with.")
    against_pk = int(against) if against else None
    diff = None
    if release.state != BomRelease.State.REFUSED or release.revision:
        try:
            diff = selectors.bom_release_diff(actor=actor, release_pk=release.pk, against_pk=against_pk)
        except NotFound:
            diff = None
    context = {
        "release": release,
        "components": release.components.all(),
        "effectivity": release.effectivity.all(),
        "diff": diff,
        "others": others,
        "against_pk": against_pk,
        "section": "releases",
    }
    return render(request, "workbench/release_detail.html", context)


@require_GET
@buyer_page
def held_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    roles = company_roles_for(actor=actor)
    held = list(selectors.held_releases_for(actor=actor))
    rows = [
        {"release": release, "can_release": bool(release.waits_for) and roles.get(release.company_id) == PLANNER}
        for release in held
    ]
    return render(request, "workbench/held_list.html", {"rows": rows, "section": "held"})


@require_POST
@buyer_page
def release_force(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """A planner applies a held release without waiting for its missing predecessor."""
    release = selectors.held_releases_for(actor=actor).filter(pk=pk).first()
    if release is None:
        raise Http404("No such held release.")
    if company_roles_for(actor=actor).get(release.company_id) != PLANNER:
        messages.error(request, "Only a planner of the company may release a held BOM release.")
        return HttpResponseRedirect(reverse("workbench:held_list"))
    try:
        outcome = bom_release_force(actor=actor, release_pk=pk)
    except NotFound as error:
        raise Http404(str(error)) from error
    except InvalidAction as error:
        messages.error(request, f"{release.parent_part_number} rev {release.revision} was not released: {error}")
        return HttpResponseRedirect(reverse("workbench:held_list"))
    text = f"{release.parent_part_number} rev {release.revision}: {outcome.state}"
    messages.success(request, f"{text} — {outcome.reason}" if outcome.reason else text)
    return HttpResponseRedirect(reverse("workbench:release_detail", args=[pk]))
