"""`make run` and the Docker image take the same steps, so the two cannot drift."""

from __future__ import annotations

import json
import re

from app.config import PROJECT_ROOT

DOCKERFILE = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
MAKEFILE = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")


def test_both_start_through_fidelity_start() -> None:
    assert re.search(r'^CMD \["fidelity", "start"\]$', DOCKERFILE, re.MULTILINE)
    run_recipe = MAKEFILE.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/fidelity start" in run_recipe


def test_both_build_assets_with_the_same_npm_script() -> None:
    scripts = json.loads((PROJECT_ROOT / "package.json").read_text(encoding="utf-8"))["scripts"]
    assert scripts["build"] == "node scripts/copy-assets.mjs"
    assert "npm run build" in DOCKERFILE and "npm run --silent build" in MAKEFILE
    assert "npm ci" in DOCKERFILE and "npm ci" in MAKEFILE


def test_the_image_runs_as_a_non_root_user_with_a_healthcheck() -> None:
    assert re.search(r"^USER fidelity$", DOCKERFILE, re.MULTILINE)
    assert "HEALTHCHECK" in DOCKERFILE and "/healthz" in DOCKERFILE
    assert "FIDELITY_ENVIRONMENT=production" in DOCKERFILE
