"""Warehouses and their locations; every warehouse has a main location, where stock goes when
no location is named."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from domain.erp.models import Location, Warehouse
from domain.shared.errors import Conflict, NotFound

MAIN = "MAIN"


def add_warehouse(session: Session, code: str, name: str) -> Warehouse:
    """Add a warehouse with its main location."""
    code = code.strip().upper()
    if warehouse_by_code(session, code) is not None:
        raise Conflict("There is already a warehouse {code}.", code=code)
    warehouse = Warehouse(code=code, name=name.strip())
    session.add(warehouse)
    session.flush()
    session.add(Location(warehouse_id=warehouse.id, code=MAIN, name=name.strip()))
    session.flush()
    return warehouse


def add_location(session: Session, warehouse: Warehouse, code: str, name: str = "") -> Location:
    """Add a location (a shelf, a zone) to a warehouse."""
    location = Location(warehouse_id=warehouse.id, code=code.strip().upper(), name=name.strip())
    session.add(location)
    session.flush()
    return location


def warehouse_by_code(session: Session, code: str) -> Warehouse | None:
    """The warehouse with this code (any case), or None."""
    return session.scalar(select(Warehouse).where(Warehouse.code == code.strip().upper()))


def warehouse_named(session: Session, text: str) -> Warehouse:
    """The warehouse a member means, by code or by its exact name."""
    found = session.scalar(
        select(Warehouse).where(
            or_(Warehouse.code == text.strip().upper(), func.lower(Warehouse.name) == text.lower())
        )
    )
    if found is None:
        raise NotFound("There is no warehouse {code}.", code=text[:32])
    return found


def main_location(session: Session, warehouse: Warehouse) -> int:
    """The id of a warehouse's main location."""
    location_id = session.scalar(
        select(Location.id).where(Location.warehouse_id == warehouse.id, Location.code == MAIN)
    )
    if location_id is None:
        raise NotFound("Warehouse {code} has no main location.", code=warehouse.code)
    return location_id


def all_warehouses(session: Session) -> list[Warehouse]:
    """Every warehouse, by code."""
    return list(session.scalars(select(Warehouse).order_by(Warehouse.code)))
