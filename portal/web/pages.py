"""Navigation entries whose feature has not landed yet.

Views whose feature has not landed yet render an honest empty state that says so.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from portal.deps import TemplatesDep
from portal.security.access import require_role
from portal.security.roles import Role

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_role(Role.viewer))])

PENDING_SECTIONS: dict[str, tuple[str, str]] = {}


def _section_page(section: str) -> None:
    title, message = PENDING_SECTIONS[section]

    async def page(request: Request, templates: TemplatesDep) -> HTMLResponse:
        context = {"active": section, "title": title, "message": message}
        return templates.TemplateResponse(request, "shell/pending.html", context)

    router.add_api_route(
        f"/{section}", page, methods=["GET"], name=section, response_class=HTMLResponse
    )


for _section in PENDING_SECTIONS:
    _section_page(_section)
