"""The web console in a real browser: headless Chromium, driven over WebDriver, against a hub on loopback.

The other console tests check its files, its GraphQL operations and its JavaScript logic
apart. These load the page as an officer does, so they also catch a script that fails to
load or throws, a control the markup and the scripts name differently, and a result that
never renders. They need Debian's ``chromium`` and ``chromium-driver`` packages (``.ci/run``
installs them) and skip without them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from hub.app import create_app
from hub.auth import Role
from hub.settings import Settings
from tests.servers import ServerThread
from tests.standins import ID_NUMBER, standins
from tests.tokens import token

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

CHROMIUM = os.environ.get("HUB_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HUB_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
CASE = "（2026）川3401刑初5号"
WAIT_S = 20


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip(f"{CHROMIUM} or {CHROMEDRIVER} is missing: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def console(browser: Any) -> Iterator[Any]:
    server = ServerThread(create_app(Settings(), adapters=standins()), websockets=True)
    server.start()
    browser.get(f"{server.url}/console/")
    try:
        yield browser
    finally:
        browser.get("about:blank")
        server.stop()


def visible(driver: Any, css: str) -> Any:
    try:
        return WebDriverWait(driver, WAIT_S).until(
            expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))
        )
    except TimeoutException:
        pytest.fail(
            f"{css} did not appear; the page shows: {driver.find_element(By.TAG_NAME, 'body').text[:500]}"
        )


def script_errors(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def use_token(driver: Any, role: Role) -> None:
    driver.find_element(By.ID, "token-input").send_keys(token(role))
    driver.find_element(By.CSS_SELECTOR, "#token-form button[type=submit]").click()


def test_judge_looks_up_prior_records(console: Any) -> None:
    use_token(console, Role.JUDGE)
    console.find_element(By.ID, "prior-id-number").send_keys(ID_NUMBER)
    Select(console.find_element(By.ID, "prior-purpose")).select_by_value("TRIAL")
    console.find_element(By.ID, "prior-case-number").send_keys(CASE)
    console.find_element(By.ID, "prior-submit").click()

    person = visible(console, "#prior-result .block.person")
    records = console.find_elements(By.CSS_SELECTOR, "#prior-result .criminal-records article.record")

    assert person.text
    assert records
    assert script_errors(console) == []


def test_page_chinese_first_switches_english(console: Any) -> None:
    tab = console.find_element(By.ID, "tab-prior")
    chinese = tab.text

    console.find_element(By.ID, "language-toggle").click()
    WebDriverWait(console, WAIT_S).until(
        lambda driver: driver.find_element(By.ID, "tab-prior").text != chinese
    )

    assert chinese == "前科查询"
    assert tab.text == "Prior records"
    assert script_errors(console) == []


def test_rejected_token_says_paste_new_one(console: Any) -> None:
    console.find_element(By.ID, "token-input").send_keys("not-a-token")
    console.find_element(By.CSS_SELECTOR, "#token-form button[type=submit]").click()
    console.find_element(By.ID, "prior-id-number").send_keys(ID_NUMBER)
    Select(console.find_element(By.ID, "prior-purpose")).select_by_value("TRIAL")
    console.find_element(By.ID, "prior-case-number").send_keys(CASE)
    console.find_element(By.ID, "prior-submit").click()

    body = console.find_element(By.TAG_NAME, "body")
    WebDriverWait(console, WAIT_S).until(lambda driver: "枢纽不接受此令牌" in body.text)

    assert "无法读出令牌内容" in console.find_element(By.ID, "token-summary").text
    assert console.find_elements(By.CSS_SELECTOR, "#prior-result .block.person") == []
