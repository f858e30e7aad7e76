"""The charts' figures as Plotly receives them: what a reader sees on the axes and in
front of what, checked on the figure itself (tests/browser draws them)."""

from __future__ import annotations

from app.i18n import translator
from app.web.charts.common import Chart

T = translator("da")


def chart(found: list[Chart], key: str) -> Chart:
    return next(c for c in found if c.key == key)
