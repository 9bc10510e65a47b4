from django.db import models


def quantity_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=4, **kwargs)


def price_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=6, **kwargs)


def amount_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=2, **kwargs)
