from django.db import models


class Holiday(models.Model):
    """A day with no business (besides Saturdays and Sundays) in the business calendar."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class Counter(models.Model):
    """A named, monotonically increasing number (e.g. the catalog version used in cache keys)."""

    name = models.CharField(max_length=50, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
