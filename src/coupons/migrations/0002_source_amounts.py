"""CPN-7: a platform discount's parts kept in the promotion's currency.

OrderDiscount.source_amount_minor is the part in the source's own currency; a Redemption's
amount is the sum of its parts in the promotion's currency (Redemption.currency). Rows written
before hold one currency per checkout in practice: they are filled from what they have.
"""

from django.db import migrations, models


def backfill(apps, schema_editor):
    """Each discount's part in its promotion's currency (converted at the reference rates when
    the order's currency differs), and each redemption's amount rebuilt from those parts (the
    old amount summed the orders' currencies)."""
    from core.money import Money, convert

    OrderDiscount = apps.get_model("coupons", "OrderDiscount")
    Redemption = apps.get_model("coupons", "Redemption")
    for discount in OrderDiscount.objects.select_related("order", "promotion").iterator():
        amount = discount.amount_minor
        if discount.promotion is not None and discount.promotion.currency != discount.order.currency:
            amount = convert(Money(amount, discount.order.currency), discount.promotion.currency).amount
        discount.source_amount_minor = amount
        discount.save(update_fields=["source_amount_minor"])
    for redemption in Redemption.objects.select_related("promotion").iterator():
        parts = OrderDiscount.objects.filter(promotion_id=redemption.promotion_id)
        if redemption.checkout_id:
            parts = parts.filter(order__checkout_id=redemption.checkout_id)
        else:
            parts = parts.filter(order_id=redemption.order_id)
        redemption.currency = redemption.promotion.currency
        redemption.amount_minor = sum(parts.values_list("source_amount_minor", flat=True))
        redemption.save(update_fields=["currency", "amount_minor"])


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
