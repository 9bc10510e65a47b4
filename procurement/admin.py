"""The buyer's screens for now: the procurement record, the exception queue and the outbox."""

from typing import cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.urls import reverse
from django.utils.html import format_html

from gateway import text_encoding
from gateway.formatting import plain_number
from notifications.models import DeliveryAttempt, OutboundMessage

from . import models, services
from .models.exceptions import ExceptionQuerySet
from .services import ProcurementError, WriteSource


def _source(request) -> WriteSource:
    return WriteSource(
        channel="admin",
        label=f"buyer {request.user.get_username()}",
        actor=request.user,
        correlation_id=getattr(request, "correlation_id", ""),
    )


def _run_each(model_admin, request, queryset, label: str, call) -> None:
    """Run a service per selected row; a refusal is shown for its row and the others go on."""
    done = 0
    for row in queryset:
        try:
            call(row.pk)
            done += 1
        except ProcurementError as error:
            model_admin.message_user(request, f"#{row.pk}: {error.message}", messages.ERROR)
    if done:
        model_admin.message_user(request, f"{label} {done} of {queryset.count()}.", messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class POLineInline(admin.TabularInline):
    model = models.POLine
    extra = 0
    can_delete = False
    fields = (
        "line",
        "line_no",
        "item",
        "quantity",
        "uom",
        "unit_price",
        "need_by",
        "cancelled",
        "ack_response",
        "confirmed_quantity",
        "confirmed_price",
        "promised_date",
        "schedule",
        "proposal",
        "shipped_quantity",
        "received_quantity",
        "invoiced_quantity",
        "statuses",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("schedule_lines")

    @admin.display(description="status dimensions")
    def statuses(self, line: models.POLine) -> str:
        return ", ".join(f"{k}: {v}" for k, v in line.statuses().items())

    @admin.display(description="confirmed schedule")
    def schedule(self, line: models.POLine) -> str:
        return schedule_text(line)

    @admin.display(description="line")
    def line(self, line: models.POLine) -> str:
        """A link to the line's own page, where its schedule lines are listed one by one."""
        return format_html('<a href="{}">open</a>', reverse("admin:procurement_poline_change", args=[line.pk]))

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def schedule_text(line: models.POLine) -> str:
    return ", ".join(f"{plain_number(s.quantity)} on {s.date}" for s in line.schedule_lines.all())


class ScheduleLineInline(admin.TabularInline):
    """The deliveries the supplier split the line into: quantity and promised date of each."""

    model = models.ScheduleLine
    extra = 0
    can_delete = False
    fields = ("position", "quantity", "date")
    readonly_fields = fields
    verbose_name = "confirmed delivery"
    verbose_name_plural = "confirmed schedule (split deliveries)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.POLine)
class POLineAdmin(ReadOnlyAdmin):
    """One PO line with its confirmed schedule lines, for a buyer following split deliveries."""

    list_display = (
        "po",
        "line_no",
        "quantity",
        "need_by",
        "confirmed_quantity",
        "promised_date",
        "schedule",
        "ack_response",
    )
    list_filter = ("po__company", "po__supplier")
    search_fields = ("po__number", "line_no", "item__part_number")
    list_select_related = ("po",)
    inlines = [ScheduleLineInline]
    fields = (
        "po",
        "line_no",
        "item",
        "quantity",
        "uom",
        "unit_price",
        "need_by",
        "ack_response",
        "confirmed_quantity",
        "confirmed_price",
        "promised_date",
        "change_state",
        "shipped_quantity",
        "received_quantity",
        "invoiced_quantity",
        "statuses",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("schedule_lines")

    @admin.display(description="confirmed schedule")
    def schedule(self, line: models.POLine) -> str:
        return schedule_text(line)

    @admin.display(description="status dimensions")
    def statuses(self, line: models.POLine) -> str:
        return ", ".join(f"{k}: {v}" for k, v in line.statuses().items())

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_staff


class PORevisionInline(admin.TabularInline):
    model = models.PORevision
    extra = 0
    can_delete = False
    fields = ("revision", "source", "channel", "created_at", "diff")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyAdmin):
    list_display = ("number", "revision", "company", "supplier", "ship_to", "header_status", "updated_at")
    list_filter = ("company", "supplier", "ship_to")
    search_fields = ("number", "supplier__code", "supplier__name")
    inlines = [POLineInline, PORevisionInline]
    list_select_related = ("company", "supplier", "ship_to")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines")

    @admin.display(description="status")
    def header_status(self, order: models.PurchaseOrder) -> str:
        return order.status_for(list(order.lines.all()))

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_staff


class ExceptionActionForm(ActionForm):
    reason = forms.CharField(required=False, label="Reason (for reject / dismiss)", max_length=500)


@admin.register(models.ProcurementException)
class ExceptionAdmin(ReadOnlyAdmin):
    list_display = ("id", "severity", "kind", "summary", "supplier", "state", "owner", "due_at", "raised_at")
    list_filter = ("state", "severity", "kind", "supplier")
    search_fields = ("summary", "po__number")
    ordering = ("severity_rank", "due_at", "id")
    action_form = ExceptionActionForm
    actions = ["assign_to_me", "accept", "reject", "dismiss", "escalate"]
    list_select_related = ("supplier", "owner")

    def get_queryset(self, request):
        queryset = cast(ExceptionQuerySet, super().get_queryset(request))  # the model's manager makes one
        return queryset if request.GET.get("state__exact") else queryset.open()

    def _run(self, request, queryset, label: str, call) -> None:
        _run_each(self, request, queryset, label, call)

    @admin.action(description="Assign to me")
    def assign_to_me(self, request, queryset):
        self._run(
            request,
            queryset,
            "Assigned",
            lambda pk: services.exception_assign(exception_id=pk, owner=request.user, source=_source(request)),
        )

    @admin.action(description="Accept (supplier proposal or variance)")
    def accept(self, request, queryset):
        reason = request.POST.get("reason", "")
        self._run(
            request,
            queryset,
            "Accepted",
            lambda pk: services.exception_accept(exception_id=pk, source=_source(request), note=reason),
        )

    @admin.action(description="Reject and tell the supplier (needs a reason)")
    def reject(self, request, queryset):
        reason = request.POST.get("reason", "")
        self._run(
            request,
            queryset,
            "Rejected",
            lambda pk: services.exception_reject(exception_id=pk, source=_source(request), reason=reason),
        )

    @admin.action(description="Dismiss (needs a reason)")
    def dismiss(self, request, queryset):
        reason = request.POST.get("reason", "")
        self._run(
            request,
            queryset,
            "Dismissed",
            lambda pk: services.exception_dismiss(exception_id=pk, source=_source(request), reason=reason),
        )

    @admin.action(description="Escalate to the plant's or company's supervisor")
    def escalate(self, request, queryset):
        reason = request.POST.get("reason", "")
        self._run(
            request,
            queryset,
            "Escalated",
            lambda pk: services.exception_escalate(exception_id=pk, source=_source(request), reason=reason),
        )

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_staff

    def has_change_permission(self, request, obj=None) -> bool:
        # The list's actions (which call the services) need it; one exception's page is read-only:
        # state, resolution, severity and evidence change only through the services, audited.
        return request.user.is_staff and obj is None


# The outbox's models belong to notifications; their screen is here because its one action, sending
# a message again, is a buyer's decision audited on the procurement record.
class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("number", "attempted_at", "succeeded", "duration_ms", "detail")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "event",
        "kind",
        "destination",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("state", "kind", "event")
    search_fields = ("destination", "idempotency_key", "correlation_id")
    inlines = [DeliveryAttemptInline]
    actions = ["retry"]

    @admin.action(description="Retry dead-lettered messages")
    def retry(self, request, queryset):
        done = 0
        for message in queryset:
            try:
                services.outbox_message_retry(message_id=message.pk, source=_source(request))
                done += 1
            except ProcurementError as error:
                self.message_user(request, f"#{message.pk}: {error.message}", messages.ERROR)
        if done:
            self.message_user(request, f"Queued {done} message(s) again.", messages.SUCCESS)

    def has_change_permission(self, request, obj=None) -> bool:
        # Retrying is the list's action; a message's own page is read-only (its state is the outbox's).
        return request.user.is_staff and obj is None


@admin.register(models.InboundDocument)
class InboundDocumentAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "channel",
        "sender",
        "document_type",
        "state",
        "outcome_code",
        "size",
        "received_at",
    )
    list_filter = ("channel", "state", "document_type")
    search_fields = ("sender", "document_key", "sha256", "correlation_id", "filename")
    exclude = ("content",)
    readonly_fields = ("preview",)

    @admin.display(description="content (first 4 KB)")
    def preview(self, document: models.InboundDocument) -> str:
        with document.open_payload() as payload:
            text, decoded_as = text_encoding.preview(payload.read(4096))
            return f"({decoded_as})\n{text}" if decoded_as else text


@admin.register(models.AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "actor_label",
        "channel",
        "action",
        "object_type",
        "object_id",
        "correlation_id",
    )
    list_filter = ("channel", "action")
    search_fields = ("correlation_id", "document_key", "po__number")


@admin.register(models.ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin):
    """Supplier proposals, including those within tolerance that raised no exception."""

    list_display = ("id", "po", "po_line", "response", "proposed", "current", "state", "created_at")
    list_filter = ("state", "response")
    search_fields = ("po__number",)
    action_form = ExceptionActionForm
    actions = ["accept", "decline"]
    list_select_related = ("po", "po_line")

    @admin.action(description="Accept: a new PO revision for the supplier")
    def accept(self, request, queryset):
        note = request.POST.get("reason", "")
        _run_each(
            self,
            request,
            queryset,
            "Accepted",
            lambda pk: services.change_request_accept(change_request_id=pk, source=_source(request), note=note),
        )

    @admin.action(description="Decline and tell the supplier (needs a reason)")
    def decline(self, request, queryset):
        reason = request.POST.get("reason", "")
        _run_each(
            self,
            request,
            queryset,
            "Declined",
            lambda pk: services.change_request_decline(change_request_id=pk, source=_source(request), reason=reason),
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_staff


for model in (
    models.Acknowledgement,
    models.Shipment,
    models.Receipt,
    models.Invoice,
):
    admin.site.register(model, ReadOnlyAdmin)


@admin.register(models.EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    """Who is told about exceptions left overdue: a supervisor per company, or per plant (which wins)."""

    list_display = ("company", "plant", "supervisor", "overdue_margin_hours")
    list_filter = ("company",)
    autocomplete_fields = ("supervisor",)


@admin.register(models.ToleranceRule)
class ToleranceRuleAdmin(admin.ModelAdmin):
    list_display = (
        "check_kind",
        "company",
        "supplier",
        "item",
        "over_percent",
        "over_amount",
        "under_percent",
        "under_amount",
        "auto_accept",
    )
    list_filter = ("company", "check_kind")


class CompanyMembershipInline(admin.TabularInline):
    model = models.CompanyMembership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(models.Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "currency")
    search_fields = ("code", "name")
    inlines = [CompanyMembershipInline]


admin.site.register(models.Plant)
admin.site.register(models.Item)
admin.site.register(models.SupplierItem)
