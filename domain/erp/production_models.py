"""Tables of the ERP's production: work centres, bills of materials with their versions,
routings, and production orders with what they reserve, consume and report.

A bill of materials (``Bom``) belongs to the product it makes; each version has the date from
which it is in force, and the newest version in force on a day is the one used. A line needs
``quantity`` of a component per unit made, plus its scrap share; the version's yield is the share
of what is made that comes out good, so a component's need per good unit is
``quantity × (1 + scrap) / yield``. A routing is the product's operations, each at a work centre
with hours per unit and set-up hours.

A production order keeps, per component, what it needs in all, what is reserved for it and what
it consumed; each report (``/produce``) is a row keyed by the chat event, so a report delivered
twice consumes and produces once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.erp.models import COST_DIGITS, RATE_DIGITS, VALUE_DIGITS, RowId
from domain.shared.db import Base, UTCDateTime
from domain.shared.money import Money
from domain.shared.quantity import Quantity


class WorkCentre(Base):
    """A machine, line or team that production orders' operations run on, with the hours it
    works in a working day and what an hour there costs."""

    __tablename__ = "erp_work_centres"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    hours_per_day: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(8))
    rate: Mapped[Decimal] = mapped_column(Money(COST_DIGITS), default=Decimal(0))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Bom(Base):
    """One version of a product's bill of materials."""

    __tablename__ = "erp_boms"
    __table_args__ = (
        UniqueConstraint("product_id", "version"),
        Index("ix_erp_boms_in_force", "product_id", "effective_from"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"))
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    yield_rate: Mapped[Decimal] = mapped_column(Quantity(RATE_DIGITS), default=Decimal(1))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BomLine(Base):
    """A component of a bill of materials: how much per unit made, and its scrap share."""

    __tablename__ = "erp_bom_lines"
    __table_args__ = (UniqueConstraint("bom_id", "component_id"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    bom_id: Mapped[int] = mapped_column(ForeignKey("erp_boms.id"))
    position: Mapped[int] = mapped_column(Integer)
    component_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    scrap: Mapped[Decimal] = mapped_column(Quantity(RATE_DIGITS), default=Decimal(0))


class Operation(Base):
    """A step of a product's routing, at a work centre."""

    __tablename__ = "erp_operations"
    __table_args__ = (UniqueConstraint("product_id", "position"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    work_centre_id: Mapped[int] = mapped_column(ForeignKey("erp_work_centres.id"))
    hours_per_unit: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    setup_hours: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))


class ProductionOrder(Base):
    """Making ``quantity`` of a product at a location (``MO2026-00001``): planned → released
    (components reserved) → in progress (something reported) → done, or cancelled. The values
    add up what its reports consumed and produced."""

    __tablename__ = "erp_production_orders"
    __table_args__ = (Index("ix_erp_production_orders_product", "product_id", "status"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"))
    bom_id: Mapped[int] = mapped_column(ForeignKey("erp_boms.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("erp_locations.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    produced: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    scrapped: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    status: Mapped[str] = mapped_column(String(16), default="planned")
    due: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    component_value: Mapped[Decimal] = mapped_column(Money(VALUE_DIGITS), default=Decimal(0))
    labour_value: Mapped[Decimal] = mapped_column(Money(VALUE_DIGITS), default=Decimal(0))
    output_value: Mapped[Decimal] = mapped_column(Money(VALUE_DIGITS), default=Decimal(0))
    scrap_value: Mapped[Decimal] = mapped_column(Money(VALUE_DIGITS), default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProductionComponent(Base):
    """What a production order needs of one component for its whole quantity, and what is
    reserved for it and consumed so far."""

    __tablename__ = "erp_production_components"
    __table_args__ = (UniqueConstraint("order_id", "product_id"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("erp_production_orders.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"))
    per_unit: Mapped[Decimal] = mapped_column(Quantity(6))
    required: Mapped[Decimal] = mapped_column(Quantity())
    reserved: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    consumed: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))


class ProductionReport(Base):
    """One report of output (and scrap) on a production order, once per ``key``."""

    __tablename__ = "erp_production_reports"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("erp_production_orders.id"))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    good: Mapped[Decimal] = mapped_column(Quantity())
    scrap: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    component_value: Mapped[Decimal] = mapped_column(Money(VALUE_DIGITS))
    labour_value: Mapped[Decimal] = mapped_column(Money(VALUE_DIGITS))
    output_value: Mapped[Decimal] = mapped_column(Money(VALUE_DIGITS))
    scrap_value: Mapped[Decimal] = mapped_column(Money(VALUE_DIGITS))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProductionTask(Base):
    """One operation of a released production order, as a task for the member who runs it
    (the work centre's operator, else the order's owner): pending → started → done."""

    __tablename__ = "erp_production_tasks"
    __table_args__ = (
        UniqueConstraint("order_id", "position"),
        Index("ix_erp_production_tasks_assignee", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("erp_production_orders.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    work_centre_id: Mapped[int] = mapped_column(ForeignKey("erp_work_centres.id"))
    hours: Mapped[Decimal] = mapped_column(Quantity())
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Forecast(Base):
    """A demand forecast: how many of a product are expected to sell in one week (starting on
    its Monday) or one month (starting on its 1st). MRP plans the part of it that confirmed
    sales orders in the same period have not already consumed (``domain/erp/mrp_forecasts.py``)."""

    __tablename__ = "erp_forecasts"
    __table_args__ = (UniqueConstraint("product_id", "period_kind", "period_start"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"))
    period_kind: Mapped[str] = mapped_column(String(8))  # week | month
    period_start: Mapped[date] = mapped_column(Date)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
