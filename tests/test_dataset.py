"""The synthetic data set: deterministic, valid ID numbers, Liangshan's people and names,
and histories that hang together from police case to prison or community correction."""

from __future__ import annotations

import datetime as dt
import re
import time

from adapters.casenumber import parse_case_number
from adapters.idnumber import parse_id_number
from adapters.regions import CURRENT_COUNTY_CODES, current_county
from simulators.dataset import build_dataset
from simulators.model import REFERENCE_DATE, Dataset
from simulators.names import YI_CLANS
from tests.legacy_db import dataset

CLAN_SURNAMES = dict(YI_CLANS)


def _share(count: int, total: int) -> float:
    return count / total


def test_same_seed_same_data_set() -> None:
    assert build_dataset(7, people=300) == build_dataset(7, people=300)


def test_other_seed_builds_another_data_set() -> None:
    assert build_dataset(7, people=300).people != build_dataset(8, people=300).people


def test_default_build_takes_under_three_seconds() -> None:
    started = time.perf_counter()
    build_dataset()
    assert time.perf_counter() - started < 3.0


def test_default_build_has_two_thousand_people() -> None:
    assert len(dataset().people) == 2000


def test_every_id_number_is_valid() -> None:
    numbers = [p.id_number for p in dataset().people]
    assert all(parse_id_number(n, today=REFERENCE_DATE).value == n for n in numbers)


def test_id_numbers_are_unique() -> None:
    numbers = [p.id_number for p in dataset().people]
    assert len(set(numbers)) == len(numbers)


def test_sequence_parity_matches_sex() -> None:
    assert all(parse_id_number(p.id_number).sex_code == p.sex_code for p in dataset().people)


def test_birth_date_matches_id_number() -> None:
    assert all(parse_id_number(p.id_number).birth_date == p.birth_date for p in dataset().people)


def test_every_current_county_has_residents() -> None:
    counties = {current_county(p.county_code).code for p in dataset().people}  # type: ignore[union-attr]
    assert counties == set(CURRENT_COUNTY_CODES)


def test_retired_huili_county_code_appears() -> None:
    assert any(p.id_number.startswith("513425") for p in dataset().people)


def test_about_a_tenth_fifteen_digit_only() -> None:
    share = _share(sum(p.legacy_15_only for p in dataset().people), len(dataset().people))
    assert 0.05 <= share <= 0.15


def test_fifteen_digit_people_born_1900s() -> None:
    assert all(1900 <= p.birth_date.year <= 1999 for p in dataset().people if p.legacy_15_only)


def test_yi_and_han_are_the_majority() -> None:
    count = sum(p.ethnicity_code in ("07", "01") for p in dataset().people)
    assert _share(count, len(dataset().people)) > 0.9


def test_smaller_peoples_all_appear() -> None:
    assert {"03", "04", "06", "20", "27"} <= {p.ethnicity_code for p in dataset().people}


def test_yi_names_without_dot() -> None:
    assert any("·" not in p.name for p in dataset().people if p.ethnicity_code == "07")


def test_yi_names_with_dot() -> None:
    assert any("·" in p.name for p in dataset().people if p.ethnicity_code == "07")


def test_school_names_take_clan_surname() -> None:
    pairs = [(p.name[:2], p.han_name) for p in dataset().people if p.han_name]
    assert all(name and name[0] == CLAN_SURNAMES[clan] for clan, name in pairs)


def test_share_of_yi_with_school_names() -> None:
    yi = [p for p in dataset().people if p.ethnicity_code == "07"]
    assert 0.1 < _share(sum(p.han_name is not None for p in yi), len(yi)) < 0.6


def test_name_with_gbk_only_character() -> None:
    assert any("堃" in p.name for p in dataset().people)


def test_every_name_encodes_in_gbk() -> None:
    names = [n for p in dataset().people for n in (p.name, p.han_name) if n]
    assert all(n.encode("gbk") for n in names)


def test_showcase_is_yi_with_school_name() -> None:
    person = dataset().person(dataset().showcase_person_id)
    assert person.ethnicity_code == "07"
    assert person.han_name is not None


def test_showcase_in_all_four_systems() -> None:
    data, pid = dataset(), dataset().showcase_person_id
    assert any(c.person_id == pid and c.measures for c in data.police_cases)
    assert any(j.person_id == pid and j.verdict == "guilty" and j.effective_date for j in data.judgments)
    assert any(s.person_id == pid and s.reductions and s.released_on for s in data.prison_stays)
    assert any(c.person_id == pid for c in data.corrections)


def test_judgment_links_own_police_case() -> None:
    cases = {c.police_case_number: c.person_id for c in dataset().police_cases}
    linked = [(j.police_case_number, j.person_id) for j in dataset().judgments if j.police_case_number]
    assert all(cases[number] == person_id for number, person_id in linked)


def test_dates_run_filing_to_effect() -> None:
    filed = {c.police_case_number: c.filed_on for c in dataset().police_cases}
    linked = [(j, filed[j.police_case_number]) for j in dataset().judgments if j.police_case_number]
    assert all(
        j.offence_date <= filed_on <= j.judgment_date <= (j.effective_date or REFERENCE_DATE)
        for j, filed_on in linked
    )


def test_no_date_after_reference_date() -> None:
    data = dataset()
    dates = [j.effective_date or j.judgment_date for j in data.judgments]
    dates += [s.released_on or s.admitted_on for s in data.prison_stays]
    dates += [c.reported_on or c.start_date for c in data.corrections]
    assert max(dates) <= REFERENCE_DATE


def _judgments(data: Dataset) -> dict[str, tuple[int, str, object]]:
    return {j.case_number: (j.person_id, j.verdict, j.effective_date) for j in data.judgments}


def test_prison_stays_execute_effective_guilty_judgments() -> None:
    judgments = _judgments(dataset())
    stays = [judgments[s.case_number] for s in dataset().prison_stays]
    assert all(verdict == "guilty" and effective is not None for _, verdict, effective in stays)


def test_corrections_execute_the_same_persons_judgment() -> None:
    judgments = _judgments(dataset())
    assert all(judgments[c.case_number][0] == c.person_id for c in dataset().corrections)


def test_parole_correction_follows_prison_parole() -> None:
    paroled = {s.case_number for s in dataset().prison_stays if s.release_type == "parole"}
    parole = {c.case_number for c in dataset().corrections if c.correction_type == "parole"}
    assert parole == paroled


def test_all_four_correction_types_occur() -> None:
    assert {c.correction_type for c in dataset().corrections} == {
        "public_surveillance",
        "suspended_sentence",
        "parole",
        "temporary_service_outside_prison",
    }


def test_some_people_are_acquitted() -> None:
    assert any(j.verdict == "not_guilty" for j in dataset().judgments)


def test_pending_appeals_have_no_execution() -> None:
    pending = {j.case_number for j in dataset().judgments if j.effective_date is None}
    executed = {s.case_number for s in dataset().prison_stays}
    executed |= {c.case_number for c in dataset().corrections}
    assert pending and not pending & executed


def _age_at(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def test_some_offences_were_committed_by_juveniles() -> None:
    data = dataset()
    ages = [_age_at(data.person(j.person_id).birth_date, j.offence_date) for j in data.judgments]
    assert min(ages) < 18


def test_no_offence_was_committed_under_fifteen() -> None:
    data = dataset()
    ages = [_age_at(data.person(j.person_id).birth_date, j.offence_date) for j in data.judgments]
    assert min(ages) >= 15


def test_some_people_have_only_police_records() -> None:
    judged = {j.person_id for j in dataset().judgments}
    assert any(c.person_id not in judged for c in dataset().police_cases)


def test_charges_cover_the_prefectures_common_articles() -> None:
    articles = {c.article for j in dataset().judgments for c in j.charges}
    assert articles == {"347", "348", "354", "264", "234", "133-1", "345"}


def test_drug_charges_name_the_act() -> None:
    acts = {c.act for j in dataset().judgments for c in j.charges if c.article == "347"}
    assert acts <= {"贩卖", "运输"}


def test_every_case_number_parses() -> None:
    assert all(parse_case_number(j.case_number).serial for j in dataset().judgments)


def test_case_numbers_mix_bracket_styles() -> None:
    openings = {j.case_number[0] for j in dataset().judgments}
    assert openings == {"（", "(", "〔", "["}


def test_some_case_numbers_use_pre_2016_form() -> None:
    assert any("字第" in j.case_number for j in dataset().judgments)


def test_intermediate_court_hears_some_cases() -> None:
    assert any(j.court_code == "川34" for j in dataset().judgments)


def test_police_case_numbers_unique_strings() -> None:
    numbers = [c.police_case_number for c in dataset().police_cases]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"A\d{22}", n) for n in numbers)
