"""The status page: vendored htmx only, no inline code, a strict CSP, and a polled fragment."""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser
from pathlib import Path

import load_harness
from load_harness.securing import CONTENT_SECURITY_POLICY
from tests.unit.load_harness.conftest import Harness

STATIC = Path(load_harness.__file__).parent / "static"
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


class Elements(HTMLParser):
    """Collects every start tag with its attributes, and the text inside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_code: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_code = tag in {"script", "style"}

    def handle_endtag(self, tag: str) -> None:
        self._in_code = False

    def handle_data(self, data: str) -> None:
        if self._in_code and data.strip():
            self.inline_code.append(data)


def parse(html: str) -> Elements:
    elements = Elements()
    elements.feed(html)
    return elements


async def test_page_has_the_strict_csp_and_companion_headers(harness: Harness) -> None:
    response = await harness.client.get("/")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_page_has_no_inline_code_and_loads_only_its_own_assets(harness: Harness) -> None:
    elements = parse((await harness.client.get("/")).text)
    scripts = [attrs for tag, attrs in elements.tags if tag == "script"]
    assert scripts == [{"src": "/static/htmx.min.js", "defer": None}]
    assert elements.inline_code == []
    inline_handlers = [
        name for _, attrs in elements.tags for name in attrs if name.startswith("on")
    ]
    assert inline_handlers == []
    assert all("style" not in attrs for _, attrs in elements.tags)
    urls = [attrs.get("src") or attrs.get("href") for _, attrs in elements.tags]
    assert [url for url in urls if url is not None] == ["/static/status.css", "/static/htmx.min.js"]


async def test_page_polls_its_own_fragment_with_htmx(harness: Harness) -> None:
    elements = parse((await harness.client.get("/")).text)
    [main] = [attrs for tag, attrs in elements.tags if tag == "main"]
    assert main == {
        "id": "status",
        "hx-get": "/",
        "hx-trigger": "every 2s",
        "hx-swap": "innerHTML",
    }
    [config] = [attrs for tag, attrs in elements.tags if attrs.get("name") == "htmx-config"]
    assert config["content"] == (
        '{"includeIndicatorStyles": false, "allowEval": false, "allowScriptTags": false}'
    )


async def test_vendored_htmx_is_served_byte_for_byte(harness: Harness) -> None:
    response = await harness.client.get("/static/htmx.min.js")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == HTMX_SHA256
    assert HTMX_SHA256 in (STATIC / "VENDORED.md").read_text()
    assert b"htmx" in response.content[:200]


async def test_fragment_shows_running_jobs_and_chaos_without_the_page(harness: Harness) -> None:
    job = (
        await harness.client.post(
            "/api/v1/load/memory", json={"megabytes": 2, "duration_seconds": 60}
        )
    ).json()
    await harness.client.put(
        "/api/v1/admin/chaos", json={"error_rate": 0.25, "latency_ms": 120, "jitter_ms": 30}
    )
    response = await harness.client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert '<dd id="chaos-error-rate">0.25</dd>' in response.text
    assert '<dd id="chaos-latency">120 ms ± 30 ms</dd>' in response.text
    assert f"<code>{job['id'][:12]}</code></td><td>memory</td>" in response.text
    assert "Running jobs (1)" in response.text


async def test_fragment_says_when_nothing_runs(harness: Harness) -> None:
    response = await harness.client.get("/", headers={"HX-Request": "true"})
    assert '<p id="no-running-jobs">No job is running.</p>' in response.text


async def test_openapi_is_served_but_cdn_backed_docs_are_not(harness: Harness) -> None:
    schema = await harness.client.get("/openapi.json")
    docs = await harness.client.get("/docs")
    assert schema.status_code == 200
    assert "/api/v1/load/cpu" in schema.json()["paths"]
    assert docs.status_code == 404
