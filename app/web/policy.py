"""The headers every response carries: the Content-Security-Policy (no inline script, no
eval, no other origin), the other security headers, and the caching rules. A page that
needs more (the API's interactive docs: inline styles) says so in its own header, which
the middleware then leaves as it is."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def protect(request: Request, response: Response) -> None:
    """The headers every response carries, set on one made outside the middleware."""
    protect_headers(response.headers, request)


def protect_headers(headers: MutableHeaders, request: Request) -> None:
    """Security headers, and how long a browser may keep the response."""
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    # From the scope rather than request.url, which would build a URL on every response.
    if request.scope.get("scheme") == "https":
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    path = request.scope["path"]
    if path.startswith("/static/vendor/"):
        # Third-party files change only with package-lock.json: a week in the cache.
        headers.setdefault("Cache-Control", "public, max-age=604800")
    elif path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-cache")  # the app's own: revalidate
    else:
        headers.setdefault("Cache-Control", "no-store")
