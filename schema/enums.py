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


@strawberry.enum(
    description=(
        "查询目的 / purpose of use a lookup states: CASE_HANDLING 侦查办案 (CPL arts. 52, 115), "
        "PROSECUTION_REVIEW 审查起诉 (arts. 171, 176), TRIAL 审判 (part III), EXECUTION_OF_SENTENCE "
        "收监执行 (art. 264), PRE_SENTENCE_INVESTIGATION 调查评估 (CC Law art. 18), "
        "CORRECTION_SUPERVISION 矫正监管 (arts. 17, 23), AUDIT 审计, OPERATIONS 运维"
    )
)
class Purpose(Enum):
    # Values are hub.purpose.Purpose's; a test keeps the two equal.
    CASE_HANDLING = "case_handling"
    PROSECUTION_REVIEW = "prosecution_review"
    TRIAL = "trial"
    EXECUTION_OF_SENTENCE = "execution_of_sentence"
    PRE_SENTENCE_INVESTIGATION = "pre_sentence_investigation"
    CORRECTION_SUPERVISION = "correction_supervision"
    AUDIT = "audit"
    OPERATIONS = "operations"


__all__ = [
    "Agency",
    "CoerciveMeasureType",
    "CorrectionStatus",
    "CorrectionType",
    "CustodyEventType",
    "PenaltyType",
    "PoliceCaseStatus",
    "Purpose",
    "ReportingStatus",
    "SourceStatus",
    "Verdict",
]
