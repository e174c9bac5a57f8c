"""The AWS API calls a package makes, read from its code: IAM action names for the policy test.

Finds the services named in `.client("svc", ...)` calls, then every method called on anything
whose name is an operation of those services (snake_case, as botocore exposes them, including
`get_paginator("op")`), and maps each back to `prefix:OperationName` with botocore's own models.
"""

from __future__ import annotations

import ast
from pathlib import Path

import botocore.session
from botocore import xform_name


def _literal(node: ast.Call) -> str | None:
    args = [a for a in node.args[:1] if isinstance(a, ast.Constant)]
    args += [k.value for k in node.keywords if k.arg == "service_name"]
    values = [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return values[0] if values else None


def scan_source(source: str) -> tuple[set[str], set[str]]:
    services: set[str] = set()
    methods: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = _literal(node) if node.func.attr in ("client", "get_paginator") else None
        if node.func.attr == "client" and name:
            services.add(name)
        elif node.func.attr == "get_paginator" and name:
            methods.add(name)
        else:
            methods.add(node.func.attr)
    return services, methods


def iam_actions(services: set[str], methods: set[str]) -> set[str]:
    session = botocore.session.get_session()
    operations: dict[str, str] = {}
    for service in sorted(services):
        model = session.get_service_model(service)
        prefix = model.signing_name
        for operation in model.operation_names:
            operations[xform_name(operation)] = f"{prefix}:{operation}"
    return {operations[m] for m in methods if m in operations}


def aws_calls_in(package: Path) -> set[str]:
    services: set[str] = set()
    methods: set[str] = set()
    for path in sorted(package.rglob("*.py")):
        found_services, found_methods = scan_source(path.read_text(encoding="utf-8"))
        services |= found_services
        methods |= found_methods
    return iam_actions(services, methods)
