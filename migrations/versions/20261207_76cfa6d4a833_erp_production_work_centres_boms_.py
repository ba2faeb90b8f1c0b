"""erp production: work centres, boms, routings, production orders

Revision ID: 76cfa6d4a833
Revises: b40936de599e
Create Date: 2026-12-07 17:51:27.919341
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "76cfa6d4a833"
down_revision: str | None = "b40936de599e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "erp_boms",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("yield_rate", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["erp_products.id"], name=op.f("fk_erp_boms_product_id_erp_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_boms")),
        sa.UniqueConstraint("product_id", "version", name=op.f("uq_erp_boms_product_id_version")),
    )
    with op.batch_alter_table("erp_boms", schema=None) as batch_op:
        batch_op.create_index(
            "ix_erp_boms_in_force", ["product_id", "effective_from"], unique=False
        )

    op.create_table(
        "erp_bom_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bom_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "component_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("scrap", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bom_id"], ["erp_boms.id"], name=op.f("fk_erp_bom_lines_bom_id_erp_boms")
        ),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["erp_products.id"],
            name=op.f("fk_erp_bom_lines_component_id_erp_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_bom_lines")),
        sa.UniqueConstraint(
            "bom_id", "component_id", name=op.f("uq_erp_bom_lines_bom_id_component_id")
        ),
    )
    op.create_table(
        "erp_production_orders",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("bom_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("produced", sa.BigInteger(), nullable=False),
        sa.Column("scrapped", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("component_value", sa.BigInteger(), nullable=False),
        sa.Column("labour_value", sa.BigInteger(), nullable=False),
        sa.Column("output_value", sa.BigInteger(), nullable=False),
        sa.Column("scrap_value", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bom_id"], ["erp_boms.id"], name=op.f("fk_erp_production_orders_bom_id_erp_boms")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["erp_locations.id"],
            name=op.f("fk_erp_production_orders_location_id_erp_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["members.id"], name=op.f("fk_erp_production_orders_owner_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["erp_products.id"],
            name=op.f("fk_erp_production_orders_product_id_erp_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_production_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_erp_production_orders_number")),
    )
    with op.batch_alter_table("erp_production_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_erp_production_orders_product", ["product_id", "status"], unique=False
        )

    op.create_table(
        "erp_work_centres",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("hours_per_day", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["members.id"], name=op.f("fk_erp_work_centres_operator_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_work_centres")),
        sa.UniqueConstraint("code", name=op.f("uq_erp_work_centres_code")),
    )
    op.create_table(
        "erp_operations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "work_centre_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("hours_per_unit", sa.BigInteger(), nullable=False),
        sa.Column("setup_hours", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["erp_products.id"],
            name=op.f("fk_erp_operations_product_id_erp_products"),
        ),
        sa.ForeignKeyConstraint(
            ["work_centre_id"],
            ["erp_work_centres.id"],
            name=op.f("fk_erp_operations_work_centre_id_erp_work_centres"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_operations")),
        sa.UniqueConstraint(
            "product_id", "position", name=op.f("uq_erp_operations_product_id_position")
        ),
    )
    op.create_table(
        "erp_production_components",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("per_unit", sa.BigInteger(), nullable=False),
        sa.Column("required", sa.BigInteger(), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.Column("consumed", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["erp_production_orders.id"],
            name=op.f("fk_erp_production_components_order_id_erp_production_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["erp_products.id"],
            name=op.f("fk_erp_production_components_product_id_erp_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_production_components")),
        sa.UniqueConstraint(
            "order_id", "product_id", name=op.f("uq_erp_production_components_order_id_product_id")
        ),
    )
    op.create_table(
        "erp_production_reports",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("good", sa.BigInteger(), nullable=False),
        sa.Column("scrap", sa.BigInteger(), nullable=False),
        sa.Column("component_value", sa.BigInteger(), nullable=False),
        sa.Column("labour_value", sa.BigInteger(), nullable=False),
        sa.Column("output_value", sa.BigInteger(), nullable=False),
        sa.Column("scrap_value", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["members.id"], name=op.f("fk_erp_production_reports_actor_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["erp_production_orders.id"],
            name=op.f("fk_erp_production_reports_order_id_erp_production_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_production_reports")),
        sa.UniqueConstraint("key", name=op.f("uq_erp_production_reports_key")),
    )
    op.create_table(
        "erp_production_tasks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "work_centre_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("hours", sa.BigInteger(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["members.id"],
            name=op.f("fk_erp_production_tasks_assignee_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["erp_production_orders.id"],
            name=op.f("fk_erp_production_tasks_order_id_erp_production_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["work_centre_id"],
            ["erp_work_centres.id"],
            name=op.f("fk_erp_production_tasks_work_centre_id_erp_work_centres"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_production_tasks")),
        sa.UniqueConstraint(
            "order_id", "position", name=op.f("uq_erp_production_tasks_order_id_position")
        ),
    )
    with op.batch_alter_table("erp_production_tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_erp_production_tasks_assignee", ["assignee_id", "status"], unique=False
        )

    with op.batch_alter_table("erp_products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lead_calendar_days", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "lot_rule", sa.String(length=16), nullable=False, server_default="lot_for_lot"
            )
        )
        batch_op.add_column(
            sa.Column("lot_quantity", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("erp_products", schema=None) as batch_op:
        batch_op.drop_column("lot_quantity")
        batch_op.drop_column("lot_rule")
        batch_op.drop_column("lead_calendar_days")

    with op.batch_alter_table("erp_production_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_erp_production_tasks_assignee")

    op.drop_table("erp_production_tasks")
    op.drop_table("erp_production_reports")
    op.drop_table("erp_production_components")
    op.drop_table("erp_operations")
    op.drop_table("erp_work_centres")
    with op.batch_alter_table("erp_production_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_erp_production_orders_product")

    op.drop_table("erp_production_orders")
    op.drop_table("erp_bom_lines")
    with op.batch_alter_table("erp_boms", schema=None) as batch_op:
        batch_op.drop_index("ix_erp_boms_in_force")

    op.drop_table("erp_boms")
