"""GraphQL enums: the canonical record enums, registered once with strawberry.

Schema modules import enums from here rather than from ``adapters.records``, so that
each Python enum is registered once, with its description, before any type uses it.
``strawberry.enum`` returns the class it registers, so annotations stay plain enums.
"""

from __future__ import annotations

from enum import Enum

import strawberry

from adapters.records import (
    Agency,
    CoerciveMeasureType,
    CorrectionStatus,
    CorrectionType,
    CustodyEventType,
    PenaltyType,
    PoliceCaseStatus,
    ReportingStatus,
    Verdict,
)

strawberry.enum(Agency, description="政法机关 / agency")
strawberry.enum(Verdict, description="判决结果 / verdict")
strawberry.enum(PenaltyType, description="主刑或单处附加刑 / principal penalty")
strawberry.enum(CorrectionType, description="社区矫正类型 / community-correction type")
strawberry.enum(PoliceCaseStatus, description="公安案件状态 / police case status")
strawberry.enum(CoerciveMeasureType, description="强制措施类型 / coercive measure type")
strawberry.enum(ReportingStatus, description="报到情况 / reporting-in status")
strawberry.enum(CorrectionStatus, description="矫正状态 / correction status")
strawberry.enum(CustodyEventType, description="羁押事件类型 / custody event type")


@strawberry.enum(description="一次机关查询的结果 / outcome of one agency call")
class SourceStatus(Enum):
    OK = "ok"
    TIMED_OUT = "timed_out"
    UNAVAILABLE = "unavailable"
    ERROR = "error"


__all__ = [
    "Agency",
    "CoerciveMeasureType",
    "CorrectionStatus",
    "CorrectionType",
    "CustodyEventType",
    "PenaltyType",
    "PoliceCaseStatus",
    "ReportingStatus",
    "SourceStatus",
    "Verdict",
]
