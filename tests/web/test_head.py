"""HEAD is answered wherever GET is: the same status and headers, no content."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_head_answers_like_get_without_the_content(client: TestClient) -> None:
    for path in ("/healthz", "/login", "/static/css/app.css"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert head.headers["content-length"] == got.headers["content-length"], path


def test_head_is_refused_where_get_is(client: TestClient) -> None:
    head = client.head("/logout")  # a form posts to it; there is no GET to answer as
    assert head.status_code == 405 and head.content == b""
    assert "POST" in head.headers["allow"]
    assert client.head("/no/such/page").status_code == 404
