from decimal import Decimal

from django.db import models


def quantity_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=4, **kwargs)


def price_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=6, **kwargs)


def amount_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=2, **kwargs)


# The largest values the services accept, below what the columns hold: SQLite stores decimals as
# floats, and a value near the column's limit can come back one digit too long.
QUANTITY_LIMIT = Decimal(10) ** 12
PRICE_LIMIT = Decimal(10) ** 10
AMOUNT_LIMIT = Decimal(10) ** 15
