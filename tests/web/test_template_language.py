"""Templates translate through Jinja's i18n extension, in the language of the page being
rendered: also in macros imported without the page's context, and with plural forms."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from jinja2.ext import InternationalizationExtension

from app.config import PROJECT_ROOT
from app.i18n import gettext, speaking, translator
from app.web.htmx import templates

BADGE = '{% from "components/review.html" import level_badge %}{{ level_badge(review) }}'


def finalised(total: float) -> SimpleNamespace:
    return SimpleNamespace(status="finalised", total_score=total, level_key="good")


def test_the_templates_use_jinjas_i18n_extension_and_no_translator_of_their_own() -> None:
    extensions = templates.env.extensions.values()
    assert any(isinstance(e, InternationalizationExtension) for e in extensions)
    old_style = re.compile(r"""(?<![\w."'-])tn?\(""")
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for path in sorted((PROJECT_ROOT / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if old_style.search(line)
    ]
    assert found == [], "templates say _(key) and ngettext(key, key, n)"


@pytest.mark.parametrize(("language", "total"), [("da", "96,5"), ("en", "96.5")])
def test_a_macro_imported_without_context_speaks_the_pages_language(
    language: str, total: str
) -> None:
    with speaking(language):  # type: ignore[arg-type]
        html = templates.env.from_string(BADGE).render(review=finalised(96.5))
    assert html == (
        f'<span class="level level-good">{total} · {translator(language)("level_good")}</span>'  # type: ignore[arg-type]
    )


def test_a_template_compiled_in_one_language_renders_in_the_next_ones() -> None:
    """Constants included: Jinja folds what it can when it compiles a template, and the
    first request to need a template compiles it for every later one."""
    with speaking("da"):
        template = templates.env.from_string(
            "{{ _('home') }}|{{ 2.5 | number }}|{{ 10000 | thousands }}|{{ none | device }}"
        )
        assert template.render() == f"{translator('da')('home')}|2,5|10.000|ukendt enhed"
    with speaking("en"):
        english = template.render()
    assert english == f"{translator('en')('home')}|2.5|10,000|{translator('en')('unknown_device')}"


def test_each_render_speaks_its_own_language_and_the_old_one_comes_back() -> None:
    with speaking("en"):
        with speaking("da"):
            danish = templates.env.from_string("{{ _('home') }}").render()
        english = templates.env.from_string("{{ gettext('home') }}").render()
    assert danish == translator("da")("home") != english == translator("en")("home")


@pytest.mark.parametrize("language", ["da", "en"])
def test_ngettext_picks_the_catalogues_form_for_the_number(language: str) -> None:
    one, other = translator(language).forms("open_before_finalise")  # type: ignore[arg-type]
    template = templates.env.from_string(
        '{{ ngettext("open_before_finalise", "open_before_finalise", n).format(count=n) }}'
    )
    with speaking(language):  # type: ignore[arg-type]
        assert template.render(n=1) == one.format(count=1)
        assert template.render(n=3) == other.format(count=3)
    assert one != other


def test_a_text_is_escaped_like_any_other_value() -> None:
    with speaking("en"):
        html = templates.env.from_string("{{ _('device_on').format(browser=b, system='x') }}")
        assert "&lt;script&gt;" in html.render(b="<script>")


def test_outside_a_render_there_is_no_language_to_guess() -> None:
    with pytest.raises(RuntimeError, match="speaking"):
        gettext("home")
