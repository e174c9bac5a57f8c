"""The OpenAPI schema documents how to authenticate and what each operation needs."""

from __future__ import annotations

from tests.support.apps import RunningApp


async def test_the_schema_documents_bearer_tokens_and_the_sign_in_proxy(portal: RunningApp) -> None:
    response = await portal.client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerToken"]["type"] == "http"
    assert schemes["bearerToken"]["scheme"] == "bearer"
    assert schemes["signInProxy"]["type"] == "apiKey"
    assert schemes["signInProxy"]["in"] == "header"
    assert schemes["signInProxy"]["name"] == "X-Auth-Request-User"
    assert "PORTAL_TRUSTED_PROXIES" in schemes["signInProxy"]["description"]

    audit = schema["paths"]["/api/v1/audit"]["get"]
    assert audit["security"] == [{"bearerToken": []}, {"signInProxy": []}]
    assert audit["x-required-role"] == "viewer"
    create = schema["paths"]["/api/v1/tokens"]["post"]
    assert create["x-required-role"] == "admin"
    health = schema["paths"]["/healthz"]["get"]
    assert health["security"] == []
    assert health["x-access"] == "public: probes; no data"


async def test_every_documented_operation_states_its_access(portal: RunningApp) -> None:
    schema = (await portal.client.get("/openapi.json")).json()
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "security" not in operation
    ]
    assert undocumented == []


async def test_every_operation_declares_its_errors(portal: RunningApp) -> None:
    schema = (await portal.client.get("/openapi.json")).json()
    error = {"$ref": "#/components/schemas/ErrorDetail"}
    own = {"GET /readyz 503"}  # not ready: the Readiness body with each check's reason
    missing = [
        f"{method.upper()} {path} {status}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for status in ("400", "401", "403", "404", "409", "413", "422", "429", "503")
        if operation["responses"].get(status, {}).get("content", {}).get("application/json")
        != {"schema": error}
        and f"{method.upper()} {path} {status}" not in own
    ]
    assert missing == []
    assert schema["components"]["schemas"]["ErrorDetail"]["required"] == ["detail"]
    assert schema["components"]["schemas"]["InputProblem"]["required"] == ["loc", "msg", "type"]
    gate_hold = schema["paths"]["/flagger/gates/{gate}"]["post"]["responses"]["403"]["content"]
    assert gate_hold["text/plain"] == {"schema": {"type": "string"}}
