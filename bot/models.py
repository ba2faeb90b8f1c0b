"""Every table, imported in one place so that migrations and tests see the whole schema."""

from __future__ import annotations

from bot.pipeline import tables as pipeline_tables
from domain.approvals import models as approval_models
from domain.directory import models as directory_models
from domain.shared import domain_events
from domain.shared.db import Base
from domain.timers import models as timer_models
from domain.worktime import models as worktime_models

metadata = Base.metadata
MODEL_MODULES = (
    pipeline_tables,
    directory_models,
    timer_models,
    approval_models,
    worktime_models,
    domain_events,
)
