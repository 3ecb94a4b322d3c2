"""A small hand-built data set and a real uvicorn server for the court stand-in's tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from adapters.court import CourtAdapter
from adapters.idnumber import check_character
from simulators.court import create_and_load, create_app
from simulators.model import Dataset, SimCharge, SimJudgment, SimPerson
from tests.servers import ServerThread


def id_number(first17: str) -> str:
    return first17 + check_character(first17)


KUN = SimPerson(0, "吉克堃", id_number("51340119850312101"), "1", "07", dt.date(1985, 3, 12), "513401")
OLD_HUILI = SimPerson(
    1,
    "沙马拉且",
    id_number("51342519720205203"),
    "2",
    "07",
    dt.date(1972, 2, 5),
    "513425",
    legacy_15_only=True,
)
NO_COUNTY = SimPerson(
    2, "阿苏·木呷", id_number("51343119900101301"), "1", "07", dt.date(1990, 1, 1), "519999"
)
NOBODY = id_number("51343419950505401")

DRUGS = SimCharge("走私、贩卖、运输、制造毒品罪", "347", "贩卖")
THEFT = SimCharge("盗窃罪", "264")
INJURY = SimCharge("故意伤害罪", "234")


def judgment(case_number: str, person: SimPerson, **changes: object) -> SimJudgment:
    fields: dict[str, object] = {
        "case_number": case_number,
        "person_id": person.person_id,
        "court_name": "西昌市人民法院",
        "court_code": "川3401",
        "verdict": "guilty",
        "penalty": "fixed_term_imprisonment",
        "term_months": 24,
        "probation_months": 36,
        "charges": [DRUGS],
        "judgment_date": dt.date(2024, 3, 5),
        "effective_date": dt.date(2024, 3, 18),
        "offence_date": dt.date(2023, 11, 20),
        "procuratorate": "西昌市人民检察院",
        "police_case_number": None,
        "correction_type": "suspended_sentence",
        "fine_yuan": 5000,
    }
    fields.update(changes)
    return SimJudgment(**fields)  # type: ignore[arg-type]


def sample_dataset() -> Dataset:
    judgments = [
        judgment("（2024）川3401刑初12号", KUN),
        judgment(
            "(2019)川3401刑初305号",
            KUN,
            penalty="criminal_detention",
            term_months=5,
            probation_months=None,
            charges=[THEFT],
            judgment_date=dt.date(2019, 6, 1),
            effective_date=dt.date(2019, 6, 12),
            offence_date=dt.date(2019, 2, 1),
            correction_type=None,
            fine_yuan=None,
        ),
        judgment(
            "(2013)西法刑初字第291号",
            OLD_HUILI,
            term_months=36,
            probation_months=None,
            charges=[INJURY],
            judgment_date=dt.date(2013, 9, 9),
            effective_date=dt.date(2013, 9, 20),
            correction_type=None,
            fine_yuan=None,
        ),
        judgment(
            "（2025）川34刑终7号",
            NO_COUNTY,
            court_name="凉山彝族自治州中级人民法院",
            court_code="川34",
            effective_date=None,
            correction_type="public_surveillance",
            penalty="public_surveillance",
            term_months=12,
            probation_months=None,
        ),
        judgment("川3401刑初八号", NO_COUNTY, judgment_date=dt.date(2025, 1, 2)),
    ]
    return Dataset(
        seed=0,
        people=[KUN, OLD_HUILI, NO_COUNTY],
        police_cases=[],
        administrative_detentions=[],
        judgments=judgments,
        prison_stays=[],
        corrections=[],
    )


@contextmanager
def court_stand_in(folder: Path, data: Dataset) -> Iterator[ServerThread]:
    """Load ``data`` into a court stand-in database under ``folder`` and serve it."""
    db_path = str(folder / "court.sqlite")
    create_and_load(db_path, data)
    server = ServerThread(create_app(db_path), lifespan="off")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def started_adapter(court: ServerThread, timeout_s: float = 2.0) -> AsyncIterator[CourtAdapter]:
    """Start a court adapter against ``court`` and close it afterwards."""
    adapter = CourtAdapter(court.url + "/ws/court", timeout_s=timeout_s)
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.aclose()
