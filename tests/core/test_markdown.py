"""User-written Markdown is rendered on the server through an allow-list."""

import pytest

from core.markdown import render_markdown


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="https://example.jp" onclick="alert(1)">x</a>',
        "<iframe src='https://example.jp'></iframe>",
        '<p style="background:url(javascript:alert(1))">x</p>',
    ],
)
def test_dangerous_markup_is_removed(text):
    html = render_markdown(text)
    for needle in ("<script", "onerror", "javascript:", "onclick", "<iframe", "style=", "<img"):
        assert needle not in html


def test_tables_fenced_code_and_links_render():
    html = render_markdown(
        "| 業務 | 削減時間 |\n|---|---|\n| 住民税 | 1,200 |\n\n```\nprint('x')\n```\n\n"
        "[出典](https://www.soumu.go.jp/)"
    )
    assert "<table>" in html and "<td>住民税</td>" in html
    assert "<pre><code>print(&#x27;x&#x27;)" in html or "<pre><code>print('x')" in html
    assert 'href="https://www.soumu.go.jp/"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_headings_move_down_a_level_so_the_page_keeps_one_h1():
    html = render_markdown("# 題\n## 節\n#### 細目")
    assert html.split("\n") == ["<h2>題</h2>", "<h3>節</h3>", "<h4>細目</h4>"]


@pytest.mark.parametrize(
    "text",
    [
        "[x](java\tscript:alert(1))",
        "[x](java&#x09;script:alert(1))",
        "<a href=' javascript:alert(1)'>x</a>",
        "<a href='&#106;avascript:alert(1)'>x</a>",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html,<script>alert(1)</script>)",
    ],
)
def test_link_schemes_are_checked_as_a_browser_reads_them(text):
    """Browsers drop tabs and control characters inside a URL before reading its scheme."""
    html = render_markdown(text)
    assert "href" not in html, html


def test_ordinary_links_keep_their_address():
    html = render_markdown("[手順書](https://example.jp/a?b=1&c=2)、[メール](mailto:a@example.jp)")
    assert 'href="https://example.jp/a?b=1&amp;c=2"' in html
    assert 'href="mailto:a@example.jp"' in html


def test_plain_text_drops_the_markup_but_keeps_the_words():
    from core.markdown import plain_text

    text = plain_text(
        "**太字**と[出典](https://example.jp)、`コード` & <script>x</script>\n\n- 項目"
    )
    assert "太字と出典、コード &" in text
    assert "**" not in text and "](" not in text and "<" not in text
    assert "項目" in text
