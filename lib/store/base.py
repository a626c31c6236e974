"""The declarative base every table of the store is declared on (its own module, so that table
modules under ``lib/store/`` and ``lib/store/models.py``, which imports them all, form no import cycle)."""
# i18n: file makes no text for people (constraint naming patterns are identifiers)
from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

__all__ = ["Base", "NAMING"]

# Named constraints: migrations can later drop/alter them by name on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table in the store."""

    metadata = MetaData(naming_convention=NAMING)
