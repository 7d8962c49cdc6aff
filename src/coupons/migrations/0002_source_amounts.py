"""CPN-7: a platform discount's parts kept in the promotion's currency.

OrderDiscount.source_amount_minor is the part in the source's own currency; a Redemption's
amount is the sum of its parts in the promotion's currency (Redemption.currency). Rows written
before hold one currency per checkout in practice: they are filled from what they have.
"""

from django.db import migrations, models


def backfill(apps, schema_editor):
    OrderDiscount = apps.get_model("coupons", "OrderDiscount")
    Redemption = apps.get_model("coupons", "Redemption")
    OrderDiscount.objects.update(source_amount_minor=models.F("amount_minor"))
    for redemption in Redemption.objects.select_related("promotion").iterator():
        redemption.currency = redemption.promotion.currency
        redemption.save(update_fields=["currency"])


class Migration(migrations.Migration):
    dependencies = [("coupons", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="orderdiscount",
            name="source_amount_minor",
            field=models.PositiveBigIntegerField(
                default=0,
                help_text="The same part in the source's own currency (a platform discount's part as "
                "allocated, before conversion); equal to amount_minor in one currency.",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="redemption",
            name="currency",
            field=models.CharField(default="", help_text="The promotion's currency.", max_length=3),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="redemption",
            name="amount_minor",
            field=models.PositiveBigIntegerField(
                help_text="What the promotion gave over the checkout's orders, in the promotion's currency."
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
