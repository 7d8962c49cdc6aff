"""API schemas shared by every router. (OpenAPI names schemas by class name, so a
shape used in several apps is defined once here rather than redefined per app.)"""

from ninja import Field, Schema


class MoneyOut(Schema):
    amount: int = Field(description="Integer minor units (cents) of the currency.")
    currency: str = Field(description="ISO 4217 code.")


class ErrorOut(Schema):
    """The one error shape of the API (core.api_errors)."""

    code: str
    message: str
    fields: dict[str, list[str]]
