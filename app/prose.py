"""The dashboard's texts: Markdown rendered to HTML on the server, shown with ``solara.HTML``.

``solara.Markdown`` loads KaTeX and mermaid through ``/_solara/cdn/`` every time it is drawn;
``solara-assets`` does not bundle KaTeX, so without internet each text costs a 404 after
solara's proxy has tried a CDN for seconds (and a "Could not load URL" line in the terminal).
The texts here need neither: python-markdown (a solara dependency) turns them into HTML with
only extensions that need no front-end assets. Raw HTML in a text is shown as text, links keep
to safe schemes and images are left out (they could load from anywhere), so values a user put
in the URL and that a text quotes cannot inject markup. Links are plain ``<a>`` elements: a
click loads the page it names.
"""

from __future__ import annotations

import functools
import textwrap
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import markdown
import solara
from markdown.treeprocessors import Treeprocessor

#: python-markdown extensions used: none of them needs a script or a stylesheet.
EXTENSIONS = ("tables",)

#: Where a link may point: this site (no scheme), the web, or an e-mail address.
LINK_SCHEMES = ("", "http", "https", "mailto")

#: The classes solara.Markdown gives its text, so the page looks the same.
CLASSES = ["solara-markdown", "rendered_html", "jp-RenderedHTMLCommon"]


class SafeLinks(Treeprocessor):
    """Drops the target of a link whose scheme is not in :data:`LINK_SCHEMES`."""

    def run(self, root: ET.Element) -> None:
        """Check every link of the rendered tree."""
        for link in root.iter("a"):
            if urlsplit(link.get("href", "")).scheme.lower() not in LINK_SCHEMES:
                del link.attrib["href"]


def text_only_markdown() -> markdown.Markdown:
    """A converter that shows raw HTML as text, drops images and checks link schemes."""
    converter = markdown.Markdown(extensions=list(EXTENSIONS))
    converter.preprocessors.deregister("html_block")
    for pattern in ("html", "image_link", "image_reference", "short_image_ref"):
        converter.inlinePatterns.deregister(pattern)
    converter.treeprocessors.register(SafeLinks(converter), "safe_links", 0)
    return converter


@functools.lru_cache(maxsize=512)
def markdown_html(text: str) -> str:
    """The HTML of a Markdown text (indentation common to its lines removed)."""
    return text_only_markdown().convert(textwrap.dedent(text))


@solara.component
def Prose(text: str, style: str | None = None):
    """A Markdown text, rendered on the server (no script, nothing fetched)."""
    solara.HTML(tag="div", unsafe_innerHTML=markdown_html(text), classes=CLASSES, style=style)
