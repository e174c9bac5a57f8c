"""The Kubernetes calls the portal's code makes, read from the code itself.

- Watches: every kind in `portal.kube.kinds.ALL_KINDS` is listed and watched (any may be
  switched on by PORTAL_WATCH_KINDS).
- Reads and writes: each call of `read_object` (GET) or `merge_patch` (PATCH) in portal/, with
  its `path=` argument followed to the path helper that built it (`canary_path` ->
  `CANARIES.object_path`), directly, through a local variable or through a `path` property.
- Leader election: kubernetes_asyncio's LeaseLock, read from its source (read/create/replace
  of one Lease), and the portal's own `*_namespaced_lease` calls (the release).
Raw `call_api` use anywhere but portal/kube/watching.py and patching.py fails the scan: a new
kind of call must be taught here before the RBAC can be said to match.
"""

from __future__ import annotations

import ast
import functools
import inspect
from pathlib import Path

from kubernetes_asyncio.leaderelection.resourcelock import leaselock

import portal.kube.kinds as kinds
from tests.k8s.tree import ROOT

PORTAL = ROOT / "portal"
CALL_VERBS = {"read_object": "get", "merge_patch": "patch"}
RAW_CALLERS = {"portal/kube/watching.py", "portal/kube/patching.py"}
LEASE_VERBS = {"read": "get", "create": "create", "replace": "update", "patch": "patch"}

Rule = tuple[str, str, str]  # (API group, resource, verb)


def watched_rules() -> set[Rule]:
    return {(k.group, k.plural, verb) for k in kinds.ALL_KINDS for verb in ("list", "watch")}


@functools.cache
def _modules() -> dict[str, ast.Module]:
    return {
        str(path.relative_to(ROOT)): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(PORTAL.rglob("*.py"))
    }


def _path_helpers(modules: dict[str, ast.Module]) -> dict[str, kinds.Kind]:
    """Functions returning `<KIND>.object_path(...)` or `.path(...)`, by name."""
    helpers: dict[str, kinds.Kind] = {}
    for tree in modules.values():
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            for ret in (n for n in ast.walk(node) if isinstance(n, ast.Return)):
                call = ret.value
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr in ("object_path", "path")
                    and isinstance(call.func.value, ast.Name)
                    and isinstance(getattr(kinds, call.func.value.id, None), kinds.Kind)
                ):
                    helpers[node.name] = getattr(kinds, call.func.value.id)
    return helpers


def _called_name(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _resolve_path(arg: ast.expr, function: ast.AST, module: ast.Module) -> str | None:
    """The path helper an argument's value came from."""
    if (name := _called_name(arg)) is not None:
        return name
    if isinstance(arg, ast.Name):
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == arg.id for t in node.targets
            ):
                return _called_name(node.value)
    if isinstance(arg, ast.Attribute) and arg.attr == "path":
        for node in ast.walk(module):
            if isinstance(node, ast.FunctionDef) and node.name == "path":
                returns = [n for n in ast.walk(node) if isinstance(n, ast.Return)]
                return _called_name(returns[0].value) if len(returns) == 1 else None
    return None


def object_rules() -> set[Rule]:
    modules = _modules()
    helpers = _path_helpers(modules)
    rules: set[Rule] = set()
    for name, module in modules.items():
        for function in (n for n in ast.walk(module) if isinstance(n, ast.AsyncFunctionDef)):
            for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
                verb = CALL_VERBS.get(getattr(call.func, "id", ""))
                if verb is None:
                    continue
                (path_arg,) = [k.value for k in call.keywords if k.arg == "path"]
                helper = _resolve_path(path_arg, function, module)
                assert helper in helpers, f"{name}: cannot tell what {ast.unparse(call)} reaches"
                kind = helpers[helper]
                rules.add((kind.group, kind.plural, verb))
    return rules


def raw_callers() -> set[str]:
    return {
        name
        for name, module in _modules().items()
        if any(isinstance(n, ast.Attribute) and n.attr == "call_api" for n in ast.walk(module))
    }


def lease_lock_verbs() -> set[str]:
    """What leader election calls: kubernetes_asyncio's LeaseLock and the portal's own Lease
    calls (the release in portal/kube/leasing.py), `<op>_namespaced_lease` -> RBAC verb."""
    trees = [ast.parse(inspect.getsource(leaselock)), *_modules().values()]
    ops = {
        n.attr.removesuffix("_namespaced_lease")
        for tree in trees
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and n.attr.endswith("_namespaced_lease")
    }
    return {LEASE_VERBS[op] for op in ops}


def portal_elects_a_leader() -> bool:
    return any("LeaseLock" in p.read_text(encoding="utf-8") for p in Path(PORTAL).rglob("*.py"))
