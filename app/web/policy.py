"""The Content-Security-Policy every response carries: no inline script, no eval, no
other origin. A page that needs more (the API's interactive docs: inline styles) says so
in its own header, which the middleware then leaves as it is."""

from __future__ import annotations

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
