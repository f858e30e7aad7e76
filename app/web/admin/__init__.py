"""Administration: users and their scopes, API tokens, teams, and the audit trail.

Every route here is for administrators only (``AdminPrincipal``: 403 for other roles).
Each group of screens is a module that adds its routes to the one ``router`` (from
``common``), which ``app.main.ROUTERS`` lists. Importing the modules registers their
routes, in the order imported here, which is the order the routes are tried; within a
module, a fixed path (``/users/new``) comes before the pattern it would otherwise match
(``/users/{user_id}``).
"""

from __future__ import annotations

from app.web.admin.common import router

# isort: off
from app.web.admin import users, tokens, teams, audit  # noqa: F401 (they add the routes)
# isort: on

__all__ = ["router"]
