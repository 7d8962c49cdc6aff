"""OpenAPI names each schema by its class name: two API schemas with one name would make
the published schema show one shape for both, so every name must be unique."""

import importlib
from collections import defaultdict
from pathlib import Path

from ninja import Schema

SRC = Path(__file__).resolve().parents[2] / "src"


def _api_modules():
    for path in sorted(SRC.glob("*/api.py")) + sorted(SRC.glob("*/schemas.py")):
        yield importlib.import_module(f"{path.parent.name}.{path.stem}")


def test_every_api_schema_name_is_unique():
    owners = defaultdict(set)
    for module in _api_modules():
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Schema) and value.__module__.split(".")[0] in {
                p.name for p in SRC.iterdir()
            }:
                owners[value.__name__].add(value.__module__)
    clashes = {name: mods for name, mods in owners.items() if len(mods) > 1}
    assert not clashes


def test_openapi_lists_one_money_shape(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert schemas["MoneyOut"]["required"] == ["amount", "currency"]
    assert "ErrorOut" in schemas
