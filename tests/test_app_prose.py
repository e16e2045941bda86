"""The dashboard's texts are rendered on the server: no script, no markup from user data."""

from __future__ import annotations

from pathlib import Path

import solara
import solara.widgets

import app
from app.prose import CLASSES, Prose, markdown_html


def test_markdown_becomes_html_with_tables():
    html = markdown_html("# Title\n\n**bold** and *it*\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html
    assert "<table>" in html and "<td>2</td>" in html


def test_indented_texts_are_dedented_like_solara_markdown():
    assert markdown_html("\n    ## Games\n") == "<h2>Games</h2>"


def test_raw_html_is_shown_as_text():
    html = markdown_html("<script>alert(1)</script>\n\nrule <b onclick='x()'>greedy</b>")
    assert "<script" not in html and "<b " not in html
    assert "&lt;script&gt;" in html and "&lt;b onclick=" in html


def test_links_keep_safe_schemes_and_images_are_left_out():
    html = markdown_html(
        "[tour](/delegation?tour=second-best) [paper](https://example.org/p) "
        "[bad](javascript:alert(1)) [bad2]( JavaScript:alert(2)) ![img](https://example.org/x.png)"
    )
    assert '<a href="/delegation?tour=second-best">tour</a>' in html
    assert '<a href="https://example.org/p">paper</a>' in html
    assert "javascript" not in html.lower()
    assert "<img" not in html and "example.org/x.png" in html  # shown as text, never loaded


def test_prose_is_an_html_widget_not_a_vue_template():
    _box, rc = solara.render(Prose("Some **text**"), handle_error=False)
    (widget,) = rc.find(solara.widgets.HTML).widgets
    assert widget.unsafe_innerHTML == "<p>Some <strong>text</strong></p>"
    assert widget.attributes["class"] == " ".join(CLASSES)


def test_no_dashboard_module_draws_solara_markdown():
    """solara.Markdown loads KaTeX and mermaid through /_solara/cdn on every mount."""
    root = Path(app.__file__).parent
    users = [p.name for p in root.rglob("*.py") if "solara.Markdown(" in p.read_text()]
    assert users == []
