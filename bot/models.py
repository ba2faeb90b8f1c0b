"""Every table, imported in one place so that migrations and tests see the whole schema."""

from __future__ import annotations

from bot.pipeline import tables as pipeline_tables
from domain.approvals import models as approval_models
from domain.calendar import models as calendar_models
from domain.crm import models as crm_models
from domain.digest import models as digest_models
from domain.directory import models as directory_models
from domain.erp import count_models as erp_count_models
from domain.erp import models as erp_models
from domain.erp import price_models as erp_price_models
from domain.erp import production_models as erp_production_models
from domain.erp import purchase_models as erp_purchase_models
from domain.erp import sales_models as erp_sales_models
from domain.finance import budget_models as finance_budget_models
from domain.finance import items_models as finance_items_models
from domain.finance import models as finance_models
from domain.flows import models as flow_models
from domain.notices import models as notice_models
from domain.shared import domain_events
from domain.shared.db import Base
from domain.timers import models as timer_models
from domain.worktime import models as worktime_models

metadata = Base.metadata
MODEL_MODULES = (
    pipeline_tables,
    directory_models,
    timer_models,
    notice_models,
    digest_models,
    calendar_models,
    approval_models,
    worktime_models,
    crm_models,
    erp_models,
    erp_count_models,
    erp_price_models,
    erp_purchase_models,
    erp_production_models,
    erp_sales_models,
    finance_models,
    finance_items_models,
    finance_budget_models,
    domain_events,
    flow_models,
)
