"""What a fake platform answers instead of success, when a test asks it to fail."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Failure:
    """An answer to give instead of success."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
