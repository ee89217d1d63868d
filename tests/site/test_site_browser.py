"""The site in a real browser: Debian's Chromium, headless, through Selenium and the system chromedriver.

The pages are opened from ``file://`` as a reader opens a downloaded board: no server, nothing fetched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SORT_TABLE = Path(__file__).parent / "sort_table.html"


@pytest.fixture(scope="module")
def browser():
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.is_file():
            pytest.skip(f"{path} is absent: install the Debian package {package} (apt-get install {package})")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def problems(driver) -> list[str]:
    """Console messages at warning level and above since the last call (a missing file is one)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]


def visible_rows(driver, section_id: str) -> list:
    return [row for row in driver.find_elements(By.CSS_SELECTOR, f"#{section_id} tbody tr") if row.is_displayed()]


def sort_values(rows: list, key: str) -> list[str]:
    return [row.find_element(By.CSS_SELECTOR, f'td[data-key="{key}"]').get_attribute("data-sort") for row in rows]


def test_the_index_opens_from_file_with_its_script_figures_and_no_console_error(browser, site_board):
    browser.get((site_board / "index.html").as_uri())
    assert browser.title == "Leaderboard: site"
    assert problems(browser) == []
    images = browser.find_elements(By.CSS_SELECTOR, "img")
    assert len(images) == 7
    for image in images:  # every SVG beside the page loaded and has a size
        browser.execute_script("arguments[0].scrollIntoView()", image)
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image), \
            image.get_attribute("src")
    total = len(browser.find_elements(By.CSS_SELECTOR, "table.board tbody tr, details.not-run li[data-experiment]"))
    assert browser.find_element(By.ID, "shown-count").text == f"{total} rows"  # the script ran


def test_clicking_the_uar_header_sorts_the_rows_by_uar_both_ways(browser, site_board):
    browser.get((site_board / "index.html").as_uri())
    section = browser.find_element(By.CSS_SELECTOR, 'section.group[data-dataset="toy"][data-protocol="loso"]')
    header = section.find_element(By.CSS_SELECTOR, 'th[data-key="uar"] button')
    header.click()
    values = [float(v) for v in sort_values(visible_rows(browser, section.get_attribute("id")), "uar")]
    assert len(values) == 2 and values == sorted(values, reverse=True)
    header.click()
    values = [float(v) for v in sort_values(visible_rows(browser, section.get_attribute("id")), "uar")]
    assert values == sorted(values) and values[0] < values[-1]
    assert section.find_element(By.CSS_SELECTOR, 'th[data-key="uar"]').get_attribute("aria-sort") == "ascending"


def test_sorting_is_numeric_with_empty_cells_last(browser, tmp_path):
    """On a table shaped like the board's: 9.5 sorts below 10.2 (as text it would not), an empty cell stays last."""
    (tmp_path / "static").mkdir()
    shutil.copy(Path(__file__).parents[2] / "avbench/leaderboard/site/static/site.js", tmp_path / "static")
    page = tmp_path / "sort.html"
    page.write_text(SORT_TABLE.read_text())
    browser.get(page.as_uri())
    button = browser.find_element(By.CSS_SELECTOR, 'th[data-key="uar"] button')

    def names() -> list[str]:
        return [td.text for td in browser.find_elements(By.CSS_SELECTOR, 'td[data-key="experiment"]')]

    button.click()
    assert names() == ["ten", "nine", "two", "none"]
    button.click()
    assert names() == ["two", "nine", "ten", "none"]
    assert problems(browser) == []


def test_filtering_to_one_dataset_hides_the_other_rows_and_tables(browser, site_board):
    browser.get((site_board / "index.html").as_uri())
    Select(browser.find_element(By.CSS_SELECTOR, 'select[data-filter="dataset"]')).select_by_value("other-toy")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.board tbody tr")
    shown = [r.get_attribute("data-experiment") for r in rows if r.is_displayed()]
    assert shown == ["other-centroid"]
    hidden = [r for r in rows if not r.is_displayed()]
    assert hidden and all(r.get_attribute("data-dataset") != "other-toy" for r in hidden)
    sections = browser.find_elements(By.CSS_SELECTOR, "section.group")
    assert [s.get_attribute("data-dataset") for s in sections if s.is_displayed()] == ["other-toy"]
    assert browser.find_element(By.ID, "shown-count").text == "1 row"
    Select(browser.find_element(By.CSS_SELECTOR, 'select[data-filter="modality"]')).select_by_value("video")
    assert browser.find_element(By.ID, "nothing-shown").is_displayed()  # other-toy has no video row


def test_an_experiment_link_opens_its_page_and_a_screenshot_is_kept(browser, site_board, tmp_path):
    browser.get((site_board / "index.html").as_uri())
    browser.find_element(By.CSS_SELECTOR, 'tr[data-experiment="centroid-video"] a').click()
    assert browser.current_url.endswith("/experiments/centroid-video.html")
    assert browser.find_element(By.ID, "experiment-name").text == "centroid-video"
    assert browser.find_element(By.ID, "modality").text == "video"
    section = browser.find_element(By.ID, "protocol-holdout")
    assert "toy-video-extractor" in section.find_element(By.CSS_SELECTOR, "table.setup").text
    assert len(section.find_elements(By.CSS_SELECTOR, "table.confusion tbody tr")) == 3
    assert problems(browser) == []
    shot = tmp_path / "centroid-video.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


#: Elements reaching past the viewport (the page's width less its scroll bar); with ``arguments[0]``, those inside
#: a box that scrolls sideways within the viewport (a wide table at desktop width) are left out.
OVERFLOWING = """
const width = document.documentElement.clientWidth;
const scrollers = arguments[0];
const out = [];
function inScroller(el) {
  for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
    const x = getComputedStyle(up).overflowX;
    if (x === 'auto' || x === 'scroll' || x === 'hidden') return true;
  }
  return false;
}
for (const el of document.body.querySelectorAll('*')) {
  const box = el.getBoundingClientRect();
  if (box.width === 0 && box.height === 0) continue;  // not shown (a closed <details>, a hidden row)
  if ((box.right > width + 1 || box.left < -1) && !(scrollers && inScroller(el)))
    out.push(el.tagName + '.' + el.className + ' ' + box.left + '-' + box.right);
}
if (document.documentElement.scrollWidth > width + 1) out.push('page scrolls sideways: ' + document.documentElement.scrollWidth);
return [window.innerWidth, out];
"""


def at_width(driver, width: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})


@pytest.mark.parametrize("width", [1400, 400])
def test_the_overview_comes_first_then_a_real_data_table_and_nothing_overflows(browser, site_board, width):
    at_width(browser, width)
    try:
        browser.get((site_board / "index.html").as_uri())
        sections = browser.find_elements(By.CSS_SELECTOR, "main section")
        assert sections[0].get_attribute("id") == "overview"
        cards = sections[0].find_elements(By.CSS_SELECTOR, "article.card")
        groups = browser.find_elements(By.CSS_SELECTOR, "section.group")
        ranked = [g for g in groups if g.find_elements(By.CSS_SELECTOR, "tr.best")]
        assert [c.get_attribute("data-group") for c in cards] == [g.get_attribute("id") for g in ranked]
        for card, group in zip(cards, ranked):  # each card's first bar is its table's best row
            best = group.find_element(By.CSS_SELECTOR, "tr.best").get_attribute("data-experiment")
            assert card.find_element(By.CSS_SELECTOR, "li.bar-row.best .bar-label a").text == best
            assert card.find_element(By.CSS_SELECTOR, ".bar").size["width"] > 0
        assert "real data" in groups[0].find_element(By.CSS_SELECTOR, "h2 .kind").text
        synthetic = ["SYNTHETIC" in g.find_element(By.CSS_SELECTOR, "h2 .kind").text for g in groups]
        assert synthetic == sorted(synthetic)  # demo tables last
        shown, overflowing = browser.execute_script(OVERFLOWING, width > 720)  # at 400 px: nothing at all
        assert shown == width and overflowing == [], overflowing
        assert problems(browser) == []
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_rows_that_did_not_run_are_collapsed_under_their_table_with_the_reason(browser, site_board):
    browser.get((site_board / "index.html").as_uri())
    assert not browser.find_elements(By.CSS_SELECTOR, 'tr[data-experiment="needs-absent"]')
    details = browser.find_element(By.CSS_SELECTOR, "details.not-run")
    item = details.find_element(By.CSS_SELECTOR, 'li[data-experiment="needs-absent"]')
    assert not item.is_displayed()  # collapsed
    details.find_element(By.TAG_NAME, "summary").click()
    assert item.is_displayed() and "AVBENCH_SITE_TEST_ABSENT_ROOT" in item.text
