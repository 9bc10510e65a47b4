"""Open material shortages told again from their evidence: a make item's reads "not enough planned;
a planned make order of …", as shortages raised since are worded (``materials.severity.shortage_summary``)."""

from decimal import Decimal

from django.db import migrations


def _number(text: str) -> str:
    value = Decimal(text)
    return format(value.normalize(), "f") if value == value.to_integral() else str(value.normalize())


def _summary(evidence: dict, make: bool) -> str:
    # The wording as of this migration, kept here: a migration must not change when the code does.
    planned = evidence["planned_purchase"]
    if planned is None:
        cover = "nothing planned covers it"
    else:
        release = planned["release_date"]
        cover = (
            f"{'a planned make order' if make else 'a planned purchase'} of {_number(planned['quantity'])} "
            f"due {planned['need_date']} would cover it"
            + (f", released {release} (late)" if planned["late"] else f", to release by {release}")
        )
    return (
        f"{evidence['part_number']} at {evidence['plant']}: {_number(evidence['short'])} short "
        f"on {evidence['date']}, not enough {'planned' if make else 'ordered'}; {cover}"
    )


def summaries_reword(apps, schema_editor) -> None:
    ProcurementException = apps.get_model("procurement", "ProcurementException")
    ItemPlanning = apps.get_model("materials", "ItemPlanning")
    shortages = ProcurementException.objects.filter(kind="material_shortage", state__in=("open", "in_progress"))
    changed = []
    for exception in shortages.iterator():
        evidence = exception.evidence or {}
        if not {"part_number", "plant", "short", "date", "planned_purchase"} <= evidence.keys():
            continue
        make = ItemPlanning.objects.filter(item_id=evidence.get("item_id"), make_or_buy="make").exists()
        summary = _summary(evidence, make)
        if summary != exception.summary:
            exception.summary = summary
            changed.append(exception)
    ProcurementException.objects.bulk_update(changed, ["summary"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("materials", "0011_result_keys_unchecked"),
        ("procurement", "0021_exception_kind_material_shortage_words"),
    ]

    operations = [migrations.RunPython(summaries_reword, migrations.RunPython.noop)]
