"""Who to write in the audit log for a request: the identity's name and role, the client
address (the nearest untrusted hop behind trusted proxies) and the request id.

`CurrentActor` is the dependency actions use to call `record_audit`; it adds no access rule of
its own, so a route still needs a guard (`require_role`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from portal.security.addresses import address_proxies, client_address
from portal.security.identities import CurrentUser
from portal.security.roles import Identity
from portal.security.state import SecurityState
from portal.services.audit import Actor


def actor_for(request: Request, identity: Identity) -> Actor:
    security: SecurityState = request.app.state.security
    return Actor(
        name=identity.name,
        role=identity.role.value if identity.role else "none",
        source_ip=client_address(request.scope, address_proxies(security.settings)),
        request_id=request.scope.get("state", {}).get("request_id"),
    )


def get_actor(request: Request, identity: CurrentUser) -> Actor:
    return actor_for(request, identity)


CurrentActor = Annotated[Actor, Depends(get_actor)]
