"""The `axe` fixture really runs axe-core in pages served under the strict CSP."""

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

LOCK = Path(__file__).resolve().parents[2] / "package-lock.json"


def test_axe_runs_under_the_content_security_policy_and_reports_violations(live_server, page, axe):
    response = page.goto(f"{live_server.url}/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert axe(page) == []
    locked = json.loads(LOCK.read_text())["packages"]["node_modules/axe-core"]["version"]
    assert page.evaluate("() => window.axe.version") == locked
    page.evaluate(
        """() => {
        const img = document.createElement("img");
        img.src = "/static/css/consult.css";
        document.querySelector("main").append(img);
    }"""
    )
    violations = axe(page)
    assert [violation["id"] for violation in violations] == ["image-alt"]
    assert "image-alt" in axe.describe(violations)
    with pytest.raises(AssertionError, match="image-alt"):
        axe.check(page)
