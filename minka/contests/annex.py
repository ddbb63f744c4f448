"""The annex to the awards resolution: a published version's results as an A4 PDF, drawn
by WeasyPrint from the `contests/annex.html` template (docs/adr/0005-pdf-annex-weasyprint.md).

It holds exactly what the results page shows, from the same `Results` (`results.py`):
the contest, edition, legal resolution, version and its publication date; each category's
ranking with the points by component; the awards in soles; the fund and where it went.
Written in the reader's language (Spanish by default).

No network, ever: the template links nothing, and the URL fetcher given to WeasyPrint
refuses every URL that is not local (`data:` or `file:`), so a stray link in the template
could never make the server call out. Fonts are the system's (DejaVu Sans, through
fontconfig); nothing is downloaded.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from weasyprint import HTML, Document
from weasyprint.urls import URLFetcher

from minka.contests.results import Results

LOCAL_SCHEMES = ("data", "file")


def local_fetcher() -> URLFetcher:
    """WeasyPrint's fetcher, limited to local URLs: anything else (http, https, ftp…)
    is refused before a connection is tried, and WeasyPrint leaves the resource out."""
    return URLFetcher(allowed_protocols=LOCAL_SCHEMES, timeout=1, allow_redirects=False)


def css_string(text: str) -> str:
    """`text` as a quoted CSS string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_counter() -> str:
    """The footer's "Página 3 de 7" as a CSS `content` value: the translated sentence,
    quoted, around the `page` and `pages` counters."""
    sentence = css_string(_("Page %(page)s of %(pages)s"))
    return sentence % {"page": '" counter(page) "', "pages": '" counter(pages) "'}


def annex_html(results: Results) -> str:
    version = results.version
    edition = version.edition
    title = _("%(contest)s %(year)s: results and awards") % {
        "contest": edition.contest.name,
        "year": edition.year,
    }
    published = timezone.localtime(version.published_at, zoneinfo.ZoneInfo(edition.time_zone))
    context: dict[str, Any] = {
        "results": results,
        "version": version,
        "edition": edition,
        "title": title,
        "published": published,
        "language": get_language() or "es",
        "footer_left": css_string(
            _("%(title)s · version %(number)s")
            % {"title": f"{edition.contest.name} {edition.year}", "number": version.number}
        ),
        "footer_right": page_counter(),
    }
    return render_to_string("contests/annex.html", context)


def annex_document(results: Results) -> Document:
    """The annex laid out in pages (what `annex_pdf` writes)."""
    return HTML(string=annex_html(results), url_fetcher=local_fetcher()).render()


def annex_pdf(results: Results) -> bytes:
    pdf = annex_document(results).write_pdf()
    assert pdf is not None, "write_pdf without a target returns the bytes"
    return pdf
