"""Every app in a real browser: headless Chromium (Debian's `chromium`) driven by `playwright`.

For each family group's app, served over a smoke-trained model of that group, every tab is opened and used as a
visitor would: an image uploaded where the tab takes one, text retyped into its text boxes, its first slider moved,
its first action button pressed; the tab's output image must then change. A screenshot per tab is written to
`$KERAS_GEN_SCREENSHOTS` (default: the test's temporary folder).

Without Chromium or playwright these tests skip, unless `KERAS_GEN_BROWSER_TESTS=required` (CI sets it), where a
missing browser is a failure.
"""

import os
import shutil

import numpy as np
import pytest
from PIL import Image

from keras_gen.cli import APPS
from keras_gen.families import family_names, get_family
from tests.apps.serving import serve

pytestmark = pytest.mark.xdist_group("families")

CHROMIUM = os.environ.get("KERAS_GEN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
GROUPS = sorted({get_family(name).group for name in family_names()})
OUTPUT_IMAGES = "img[src*='gradio_api/file']"  # images the app returned (not Gradio's icons)


def _browser_or_skip():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    missing = "the playwright package" if sync_playwright is None else None if CHROMIUM else "a chromium executable"
    if missing:
        if os.environ.get("KERAS_GEN_BROWSER_TESTS") == "required":
            pytest.fail(f"KERAS_GEN_BROWSER_TESTS=required but {missing} is not installed")
        pytest.skip(f"browser tests need {missing} (Debian: apt-get install chromium; pip install playwright)")
    return sync_playwright


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _browser_or_skip()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _example_picture(directory, size=64):
    """A white stroke on black, as a digit photo would be (RGB PNG)."""
    picture = np.zeros((size, size, 3), np.uint8)
    picture[size // 4:3 * size // 4, size // 2 - size // 10:size // 2 + size // 10] = 255
    path = os.path.join(directory, "upload.png")
    Image.fromarray(picture).save(path)
    return path


def _output_sources(panel):
    return [image.get_attribute("src") for image in panel.locator(OUTPUT_IMAGES).all()]


def open_tab(page, name):
    """Clicks the visible tab `name`; a tab that does not fit its bar is in Gradio's "More tabs" menu."""
    tab = page.get_by_role("tab", name=name, exact=True).filter(visible=True)
    if tab.count():
        tab.first.click()
        return
    page.get_by_role("button", name="More tabs").filter(visible=True).first.click()
    page.locator(".overflow-dropdown").filter(visible=True).first.get_by_role("button", name=name, exact=True).click()


def use_tab(page, tab, picture, screenshot):
    """Opens `tab` (None: the page or open panel as it is), uses its inputs, presses its first button; returns (sources
    before, sources after)."""
    if tab is None:  # a page without tabs, or a shipped model's tab with no tabs inside
        panels = page.locator("[role=tabpanel]:visible")
        panel = panels.last if panels.count() else page.locator("body")
    else:
        open_tab(page, tab)
        panel = page.locator("[role=tabpanel]:visible").last
        panel.wait_for()
    before = _output_sources(panel)
    uploads = panel.locator("input[type=file]")
    canvases = panel.locator("canvas")
    if canvases.count():  # an image editor draws its canvas only once its tab is shown: let it set up first
        canvases.first.wait_for(state="visible")
        page.wait_for_timeout(2000)
    if uploads.count():
        uploads.first.set_input_files(picture)
        page.wait_for_timeout(500)
    for box in panel.locator("textarea:visible").all():
        text = box.input_value()
        box.fill("")
        box.type(text)  # retyped key by key: whatever the tab holds (seeds, labels, captions) stays valid
    sliders = panel.locator("input[type=range]:visible")
    if sliders.count():
        bounds = sliders.first.bounding_box()
        page.mouse.click(bounds["x"] + 0.8 * bounds["width"], bounds["y"] + bounds["height"] / 2)
    buttons = panel.locator("button.lg:visible")
    if buttons.count():
        buttons.first.click()
    page.wait_for_function(
        """([selector, before]) => {
            const panels = [...document.querySelectorAll('[role=tabpanel]')].filter(p => p.offsetParent !== null);
            const panel = panels.length ? panels[panels.length - 1] : document.body;
            const now = [...panel.querySelectorAll(selector)].map(i => i.getAttribute('src'));
            return now.some(src => !before.includes(src));
        }""",
        arg=[OUTPUT_IMAGES, before], timeout=120_000)
    page.screenshot(path=screenshot, full_page=True)
    return before, _output_sources(panel)


@pytest.mark.parametrize("group", GROUPS)
def test_every_tab_of_the_app_works_in_a_browser(group, browser, family_run, tmp_path):
    name = next(name for name in family_names() if get_family(name).group == group)
    screenshots = os.environ.get("KERAS_GEN_SCREENSHOTS") or str(tmp_path)
    os.makedirs(screenshots, exist_ok=True)
    picture = _example_picture(str(tmp_path))
    with serve(APPS[group].split(".")[-1], family_run(name).output_dir) as (client, _):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(client.src)
        page.wait_for_load_state("networkidle")
        tabs = page.get_by_role("tab").all_inner_texts() or [None]
        for tab in tabs:
            slug = "".join(c if c.isalnum() else "_" for c in (tab or "page").lower())
            before, after = use_tab(page, tab, picture, os.path.join(screenshots, f"{group}_{name}_{slug}.png"))
            assert set(after) - set(before), f"{group} app, tab {tab!r}: no new output image"
        assert not page.get_by_text("Error", exact=True).count(), f"{group} app showed an error"
        assert not errors, f"{group} app: JavaScript errors {errors}"
        page.close()


def test_the_shipped_models_page_works_in_a_browser(browser, tmp_path):
    """`keras-gen app` with no arguments: every shipped model's tab, and every tab inside it, used as above."""
    from keras_gen_apps.common import launch
    from keras_gen_apps.shipped_app import build_app, read_manifest
    from tests.apps.serving import free_port

    screenshots = os.environ.get("KERAS_GEN_SCREENSHOTS") or str(tmp_path)
    os.makedirs(screenshots, exist_ok=True)
    picture = _example_picture(str(tmp_path))
    demo, port = build_app(), free_port()
    launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_load_state("networkidle")
        for entry in read_manifest():
            open_tab(page, entry["name"])
            outer = page.locator("[role=tabpanel]:visible").first
            inner_tabs = outer.get_by_role("tab").filter(visible=True).all_inner_texts() or [None]
            for tab in inner_tabs:
                slug = "".join(c if c.isalnum() else "_" for c in (tab or "page").lower())
                before, after = use_tab(page, tab, picture, os.path.join(screenshots, f"shipped_{entry['name']}_{slug}.png"))
                assert set(after) - set(before), f"shipped {entry['name']}, tab {tab!r}: no new output image"
        assert not errors, f"JavaScript errors {errors}"
        page.close()
    finally:
        demo.close()
