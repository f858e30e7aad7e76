"""The Jinja filters: text as the reader should see it."""

from __future__ import annotations


def test_a_long_run_of_typed_text_gets_break_opportunities_and_words_do_not() -> None:
    from app.web.filters import breakable

    assert str(breakable("Jobkonsulenterne tager sig af det")) == (
        "Jobkonsulenterne tager sig af det"
    )
    marked = str(breakable("se https://example.org/" + "a" * 45 + " <b>"))
    assert marked.startswith("se https://example.org/<wbr>" + "a" * 20 + "<wbr>")
    assert marked.count("<wbr>") == 3 and marked.endswith(" &lt;b&gt;")
    assert str(breakable(None)) == ""
