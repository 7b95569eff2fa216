"""The offline explorer page in a real browser: headless Debian Chromium driven by Playwright.

Skipped, with the reason, where no Chromium or no Playwright is installed,
unless RECSYS_REQUIRE_BROWSER is set (CI sets it: there a missing browser fails).
Screenshots go to out/ (not committed).
"""

import os
import urllib.parse
from pathlib import Path

import pytest

from recsys_utils.browser import BrowserUnavailableError, chromium
from recsys_utils.explorer_page import write_page

from conftest import EVIL

OUT = Path(__file__).resolve().parents[1] / "out"
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


@pytest.fixture(scope="module")
def browser():
    try:
        with chromium() as browser:
            yield browser
    except BrowserUnavailableError as error:
        if os.environ.get("RECSYS_REQUIRE_BROWSER"):
            pytest.fail(f"RECSYS_REQUIRE_BROWSER is set but {error}")
        pytest.skip(f"no browser to test the page in: {error}")


@pytest.fixture(scope="module")
def page_path(explorer_lists, tmp_path_factory):
    return write_page(explorer_lists, tmp_path_factory.mktemp("page") / "explorer.html")


class Tab:
    """A browser tab on a page opened from disk, recording every request and every script error."""

    def __init__(self, browser, path: Path, fragment: str = "") -> None:
        self.page = browser.new_page(viewport={"width": 1200, "height": 1000})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.goto(path.resolve().as_uri() + fragment)
        self.page.wait_for_selector("body[data-ready='true']", state="attached")

    def type(self, text: str) -> list[str]:
        """Type into the search box like a person; the suggestions shown for the whole text."""
        self.page.fill("#query", "")
        self.page.type("#query", text, delay=20)
        self.page.wait_for_function("(text) => document.querySelector('#suggestions').dataset.answers === text",
                                    arg=text)
        return self.suggestions()

    def suggestions(self) -> list[str]:
        return self.page.locator("#suggestions li span:first-child").all_text_contents()

    def shown_artist(self) -> str:
        return self.page.text_content("#artist strong")

    def shown_lists(self) -> dict[str, list[tuple[str, str, str]]]:
        """Each method's rows as the page shows them: (artist, similarity, listeners)."""
        shown = {}
        for section in self.page.locator("section.method").all():
            rows = section.locator("tbody tr").all()
            shown[section.get_attribute("data-method")] = [
                tuple(row.locator("td").nth(k).text_content() for k in (1, 2, 3)) for row in rows]
        return shown

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def tab(browser, page_path):
    opened = Tab(browser, page_path)
    yield opened
    opened.close()
    assert not opened.errors, f"script errors on the page: {opened.errors}"


def expected_rows(lists, artist, method):
    table = lists.lists(artist, method)
    return [(name, f"{round(float(score) * 1000) / 1000:.3f}", f"{count:,}")
            for name, score, count in zip(table["artist"], table["score"], table["listeners"])]


def test_page_opens_from_disk_and_fetches_nothing(tab, explorer_lists):
    tab.type("Björk")
    tab.page.press("#query", "Enter")
    tab.page.wait_for_selector("#chart svg")  # the chart drawn too
    assert all(url.startswith(LOCAL_SCHEMES) for url in tab.requests), tab.requests
    about = tab.page.text_content("#about")
    assert explorer_lists.summary() in about and "LSA, ALS" in about
    assert tab.page.title() == "Similar artists: <i>test</i>"  # the dataset's name, as text


def test_misspelt_name_then_suggestion_shows_the_lists_of_the_same_factors(tab, explorer_lists):
    suggestions = tab.type("bjrok")
    assert suggestions[0] == "Björk"
    tab.page.click("#suggestions li >> nth=0")
    tab.page.wait_for_selector("#chart svg")
    assert tab.page.text_content("#artist strong") == "Björk"
    shown = tab.shown_lists()
    assert list(shown) == ["LSA", "ALS"]
    for method in shown:
        assert shown[method] == expected_rows(explorer_lists, "Björk", method)
    chart_text = tab.page.text_content("#chart svg")
    assert shown["LSA"][0][0] in chart_text and "artists related to Björk" in chart_text
    tab.page.select_option("#left", "ALS")
    tab.page.select_option("#right", "LSA")
    tab.page.wait_for_function("document.querySelector('#chart svg') !== null")
    OUT.mkdir(exist_ok=True)
    tab.page.screenshot(path=str(OUT / "explorer-test.png"), full_page=True)


def test_accents_and_case_are_ignored_and_enter_picks(tab):
    assert tab.type("SIGUR ROS")[0] == "Sigur Rós"
    tab.page.press("#query", "Enter")
    tab.page.wait_for_selector("#lists section")
    assert tab.shown_artist() == "Sigur Rós"
    assert tab.type("radiohed")[0] == "Radiohead"
    tab.page.press("#query", "ArrowDown")
    tab.page.press("#query", "ArrowUp")
    tab.page.press("#query", "Enter")
    assert tab.shown_artist() == "Radiohead"


def test_enter_answers_what_is_typed_now_not_an_earlier_keystroke(tab):
    assert tab.type("b") == ["Björk"]
    tab.page.fill("#query", "radiohe")  # Enter before the suggestions for it are due
    tab.page.press("#query", "Enter")
    assert tab.shown_artist() == "Radiohead"


def test_enter_takes_the_suggestion_chosen_with_the_arrow_keys(tab):
    options = tab.type("artist 13")
    assert options[0] == "artist 13" and len(options) > 2
    assert tab.page.get_attribute("#query", "aria-activedescendant") == "option-0"
    tab.page.press("#query", "ArrowDown")
    assert tab.page.get_attribute("#query", "aria-activedescendant") == "option-1"
    tab.page.press("#query", "Enter")
    assert tab.shown_artist() == options[1]
    tab.page.press("#query", "Escape")
    tab.page.press("#query", "ArrowDown")  # reopens the list
    tab.page.wait_for_selector("#suggestions li")


def test_the_page_folds_and_suggests_as_python_does(tab, explorer_lists):
    from recsys_utils.utils import fold_name

    names = [str(name) for name in explorer_lists.names]
    names += ["ΚΏΣΤΑΣ", "Straße", "मैं", "Ꭰꭰ", "Ǆemal", "ﬁve"]  # final sigma, ß, vowel signs, Cherokee, ligatures
    assert tab.page.evaluate("(names) => names.map(window.explorer.fold)", names) == [fold_name(n) for n in names]
    queries = ["bjrok", "b", "artist 1", "artst 20", "radio", "sigur", "script", "zzz", "rtist 99", "guns n roses"]
    got = tab.page.evaluate("(queries) => queries.map((q) => window.explorer.suggest(q, 8))", queries)
    assert got == [explorer_lists.lookup.suggest_indices(q, 8) for q in queries]


def test_an_unknown_name_says_so(tab):
    assert tab.type("qqqzzzxx") == []
    assert "No artist matches \u201cqqqzzzxx\u201d" in tab.page.text_content("#message")
    assert "at least 5 listeners" in tab.page.text_content("#message")


def test_clicking_a_related_artist_shows_its_lists(tab, explorer_lists):
    tab.type("Björk")
    tab.page.press("#query", "Enter")
    first = tab.page.locator("section.method td.name a").first
    name = first.text_content()
    assert first.get_attribute("href") == "#" + urllib.parse.quote(name, safe="-_.!~*'()")  # opens in a new tab too
    first.click()
    tab.page.wait_for_function("(name) => document.querySelector('#artist strong').textContent === name", arg=name)
    assert tab.shown_lists()["LSA"] == expected_rows(explorer_lists, name, "LSA")
    tab.page.evaluate("location.hash = '#radiohead'")  # a changed link shows its artist
    tab.page.wait_for_function("document.querySelector('#artist strong').textContent === 'Radiohead'")
    tab.page.select_option("#right", "LSA")
    assert "Pick two different methods" in tab.page.text_content("#chart")


def test_hostile_names_show_as_text_and_never_run(browser, page_path, explorer_lists):
    for name in EVIL:
        tab = Tab(browser, page_path)
        position = explorer_lists.index(name)
        tab.page.evaluate("""(name) => { const q = document.querySelector('#query'); q.value = name;
                                          q.dispatchEvent(new Event('input')); }""", name)
        tab.page.wait_for_selector("#suggestions li")
        tab.page.press("#query", "Enter")
        tab.page.wait_for_selector("#chart svg")
        assert tab.page.text_content("#artist strong") == name, (name, position)
        assert tab.page.input_value("#query") == name
        assert tab.page.evaluate("window.__pwned") is None
        assert tab.page.locator("#chart script, #chart img").count() == 0
        assert tab.page.locator("#artist *").count() == 1  # only our <strong>: nothing parsed from the name
        for method in explorer_lists.methods:
            assert tab.shown_lists()[method] == expected_rows(explorer_lists, name, method)
        assert not tab.errors, (name, tab.errors)
        tab.close()
    # Hostile names in other artists' lists are text too: open an artist whose list holds several.
    indices, _ = explorer_lists.related["LSA"]
    hostile = set(range(len(EVIL)))
    host = max(range(len(indices)), key=lambda i: (len(hostile & set(indices[i])), -i))
    listed = [explorer_lists.names[j] for j in indices[host] if j in hostile]
    assert listed, "some artist lists a hostile name"
    tab = Tab(browser, page_path, "#" + urllib.parse.quote(explorer_lists.names[host]))
    links = tab.page.locator("section[data-method='LSA'] td.name a").all_text_contents()
    assert all(name in links for name in listed)
    assert tab.page.evaluate("window.__pwned") is None
    assert tab.page.locator("#lists img, #lists b, #lists script").count() == 0
    tab.close()


def test_screenshot_of_an_artist_not_on_the_page_says_so(page_path, tmp_path, browser):
    from recsys_utils.explorer_page import screenshot

    with pytest.raises(ValueError, match="not on the page"):
        screenshot(page_path, tmp_path / "shot.png", "Nobody At All", browser=browser)
    assert screenshot(page_path, tmp_path / "shot.png", "bjork", browser=browser).stat().st_size > 10_000


def test_a_link_to_an_artist_opens_on_it(browser, page_path):
    tab = Tab(browser, page_path, "#bj%C3%B6rk")
    assert tab.page.text_content("#artist strong") == "Björk"
    tab.close()
    tab = Tab(browser, page_path, "#%E0%A4%A")  # malformed: the page starts empty, without an error
    assert tab.page.text_content("#artist") == "" and not tab.errors
    tab.close()


def test_the_page_for_lastfm_2k(browser, hetrec_2k, tmp_path):
    from recsys_utils import load_dataset
    from recsys_utils.explorer import explorer_lists
    from recsys_utils.utils import fold_name

    lists = explorer_lists(load_dataset("lastfm-2k", hetrec_2k.parent, show_progress=False), show_progress=False)
    tab = Tab(browser, write_page(lists, tmp_path / "explorer.html"))
    names = [str(name) for name in lists.names]
    assert tab.page.evaluate("(names) => names.map(window.explorer.fold)", names) == [fold_name(n) for n in names]
    queries = ["bjork", "bjrok", "the beatels", "radiohed", "sigur ros", "a", "tiesto", "kings of", "britny", "xx"]
    got = tab.page.evaluate("(queries) => queries.map((q) => window.explorer.suggest(q, 8))", queries)
    assert got == [lists.lookup.suggest_indices(q, 8) for q in queries]
    assert tab.type("bjork")[0] == "Björk"
    tab.page.click("#suggestions li >> nth=0")
    tab.page.wait_for_selector("#chart svg")
    shown = tab.shown_lists()
    for method in ("LSA", "ALS"):
        assert shown[method] == expected_rows(lists, "Björk", method)
    # Clear neighbours, far above the list's 10th score (as notebook 03 checks).
    assert {"Bat for Lashes", "Fever Ray"} <= {row[0] for row in shown["LSA"]}
    OUT.mkdir(exist_ok=True)
    tab.page.screenshot(path=str(OUT / "explorer-lastfm-2k.png"), full_page=True)
    assert not tab.errors
    tab.close()
