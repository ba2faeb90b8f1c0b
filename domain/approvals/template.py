"""A template: a versioned YAML definition of a form and the flow that approves it.

docs/APPROVALS.md documents the format. ``parse_templates`` checks the shape (pydantic) and the
meaning (conditions, field references, members and roles) and reports every problem by line.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from domain.approvals.fields import KEY_PATTERN, FieldSpec, FieldType
from domain.approvals.labels import Label, text_of
from domain.directory.roles import Role

Mode = Literal["any", "all", "quorum"]
CcAt = Literal["submit", "finish", "both"]
MAX_MANAGER_LEVEL = 10


class SlaSpec(BaseModel):
    """Working hours after which a step reminds, escalates, or decides by itself."""

    model_config = ConfigDict(extra="forbid")
    remind_after: Decimal | None = Field(default=None, gt=0, le=10000)
    escalate_after: Decimal | None = Field(default=None, gt=0, le=10000)
    auto_after: Decimal | None = Field(default=None, gt=0, le=10000)
    auto: Literal["approve", "reject"] | None = None

    @model_validator(mode="after")
    def _auto_pair(self) -> SlaSpec:
        if (self.auto is None) != (self.auto_after is None):
            raise ValueError("give auto and auto_after together")
        return self


class ApproverSpec(BaseModel):
    """Who: exactly one of the selectors."""

    model_config = ConfigDict(extra="forbid")
    manager: int | None = Field(default=None, ge=1, le=MAX_MANAGER_LEVEL)
    department_head: bool | None = None
    role: Role | None = None
    members: list[str] | None = Field(default=None, min_length=1, max_length=50)
    field: str | None = Field(default=None, pattern=KEY_PATTERN)

    @model_validator(mode="after")
    def _exactly_one(self) -> ApproverSpec:
        given = [k for k, v in self.model_dump().items() if v not in (None, False)]
        if len(given) != 1:
            raise ValueError("give exactly one of manager, department_head, role, members, field")
        return self


class StepSpec(BaseModel):
    """An approval step: who decides and how."""

    model_config = ConfigDict(extra="forbid")
    name: Label
    approvers: ApproverSpec
    mode: Mode = "any"
    quorum: int | None = Field(default=None, ge=1, le=50)
    veto: list[str] | Literal["all"] | None = None
    sla: SlaSpec | None = None

    @model_validator(mode="after")
    def _quorum(self) -> StepSpec:
        if (self.mode == "quorum") != (self.quorum is not None):
            raise ValueError("quorum N goes with mode: quorum, and only with it")
        if self.veto is not None and self.mode != "quorum":
            raise ValueError("veto goes with mode: quorum")
        return self


class CcSpec(BaseModel):
    """Whom to notify, and when: at submit, at finish, or both."""

    model_config = ConfigDict(extra="forbid")
    cc: ApproverSpec
    at: CcAt = "finish"


class RouteSpec(BaseModel):
    """One way through a branch: taken when ``when`` holds (or by default)."""

    model_config = ConfigDict(extra="forbid")
    name: Label
    when: str | None = Field(default=None, max_length=500)
    default: bool = False
    flow: list[FlowItem] = []

    @model_validator(mode="after")
    def _when_or_default(self) -> RouteSpec:
        if (self.when is None) != self.default:
            raise ValueError("a route has a condition (when), or is the default, not both")
        return self


class BranchSpec(BaseModel):
    """Routes tried top to bottom (priority order); the first whose condition holds is taken."""

    model_config = ConfigDict(extra="forbid")
    branch: list[RouteSpec] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _one_default(self) -> BranchSpec:
        defaults = [r for r in self.branch if r.default]
        if len(defaults) != 1:
            raise ValueError("a branch needs exactly one default route")
        if not self.branch[-1].default:
            raise ValueError("the default route comes last")
        return self


def _item_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        for key, tag in (("approvers", "step@"), ("cc", "cc@"), ("branch", "branch@")):
            if key in value:
                return tag
    if isinstance(value, StepSpec | CcSpec | BranchSpec):
        return {StepSpec: "step@", CcSpec: "cc@", BranchSpec: "branch@"}[type(value)]
    return None


FlowItem = Annotated[
    Annotated[StepSpec, Tag("step@")]
    | Annotated[CcSpec, Tag("cc@")]
    | Annotated[BranchSpec, Tag("branch@")],
    Discriminator(
        _item_kind,
        custom_error_type="flow_item",
        custom_error_message="a flow item has approvers (a step), cc, or branch",
    ),
]
RouteSpec.model_rebuild()


class LeaveSpec(BaseModel):
    """For leave templates: which fields hold the type, the dates, the days and the deputy."""

    model_config = ConfigDict(extra="forbid")
    type: str = "type"
    dates: str = "dates"
    days: str = "days"
    deputy: str | None = "deputy"


class TemplateSpec(BaseModel):
    """One template."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    name: Label
    description: Label | None = None
    kind: Literal[
        "generic", "leave", "expense", "purchase", "contract", "supplies", "trip", "overtime"
    ] = "generic"
    aliases: list[str] = Field(default=[], max_length=10)
    self_approval: Literal["skip", "refuse"] = "skip"
    events: dict[Literal["submitted", "approved", "rejected", "withdrawn"], str] = {}
    fields: list[FieldSpec] = Field(default=[], max_length=40)
    flow: list[FlowItem] = Field(min_length=1, max_length=50)
    sla: SlaSpec | None = None
    leave: LeaveSpec | None = None
    budget_account: str | None = Field(default=None, pattern=r"^[0-9A-Za-z]{1,16}$")

    def title(self, locale: str) -> str:
        """The template's name in the reader's language."""
        return text_of(self.name, locale, self.key)

    def field(self, key: str) -> FieldSpec | None:
        """A field by key."""
        return next((f for f in self.fields if f.key == key), None)

    def input_fields(self) -> list[FieldSpec]:
        """The fields a member fills in (not computed)."""
        return [f for f in self.fields if not f.compute]

    def leave_spec(self) -> LeaveSpec | None:
        """Where a leave template keeps its leave data (None for other kinds)."""
        if self.kind != "leave":
            return None
        return self.leave or LeaveSpec()

    def member_fields(self) -> set[str]:
        """Keys of the member fields (approvers picked by the initiator come from these)."""
        return {f.key for f in self.fields if f.type is FieldType.MEMBER}


class TemplateFile(BaseModel):
    """A file: one template, or ``templates:`` with several."""

    model_config = ConfigDict(extra="forbid")
    templates: list[TemplateSpec] = Field(min_length=1, max_length=100)


def walk_steps(items: list[Any]) -> list[tuple[tuple[Any, ...], StepSpec | CcSpec]]:
    """Every step and cc of a flow, in every route, with its path below ``flow``."""
    found: list[tuple[tuple[Any, ...], StepSpec | CcSpec]] = []
    for i, item in enumerate(items):
        if isinstance(item, BranchSpec):
            for r, route in enumerate(item.branch):
                for path, inner in walk_steps(route.flow):
                    found.append(((i, "branch", r, "flow", *path), inner))
        else:
            found.append(((i,), item))
    return found


def walk_conditions(items: list[Any]) -> list[tuple[tuple[Any, ...], str]]:
    """Every route condition of a flow, with its path below ``flow``."""
    found: list[tuple[tuple[Any, ...], str]] = []
    for i, item in enumerate(items):
        if isinstance(item, BranchSpec):
            for r, route in enumerate(item.branch):
                if route.when is not None:
                    found.append(((i, "branch", r, "when"), route.when))
                found += [((i, "branch", r, "flow", *p), w) for p, w in walk_conditions(route.flow)]
    return found
