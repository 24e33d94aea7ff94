"""Switching between Japanese and English keeps the reader on the same page."""

import pytest


@pytest.mark.parametrize("path", ["/courses/", "/cases/", "/questions/", "/search/?q=RPA"])
def test_switching_language_keeps_the_page(page, server, path):
    page.goto(path)
    assert page.locator("html").get_attribute("lang") == "ja"
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    english = page.url.removeprefix(server.url)
    assert english.startswith("/en/"), english
    page.get_by_role("link", name="日本語").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.url.removeprefix(server.url).split("?")[0] == path.split("?")[0]
    assert page.js_errors == []
