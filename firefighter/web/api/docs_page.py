"""`/api/v1/docs`: the OpenAPI document as one plain HTML page.

FastAPI's own docs pages load Swagger UI or ReDoc from a CDN; this page loads nothing, so it
works offline and behind a strict Content-Security-Policy.
"""

from __future__ import annotations

from html import escape
from typing import Any


def _schema_name(schema: dict[str, Any]) -> str:
    ref = str(schema.get("$ref") or "")
    if ref:
        return ref.rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_schema_name(s) for s in schema["anyOf"])
    return str(schema.get("type") or "object")


def render(document: dict[str, Any]) -> str:
    """The page: each path and method, its summary, parameters, body and answers."""
    info = document.get("info", {})
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{escape(str(info.get('title', 'API')))} API</title>",
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:auto;"
        "padding:1rem;color:#111}code{background:#f2f2f2;padding:0 .2em}"
        "h2{border-top:1px solid #ccc;padding-top:1rem}</style></head><body>",
        f"<h1>{escape(str(info.get('title', 'API')))} REST API</h1>",
        f"<p>{escape(str(info.get('summary', '')))} The machine-readable document: "
        "<a href='openapi.json'>openapi.json</a>. Authenticate with "
        "<code>Authorization: Bearer &lt;token&gt;</code> "
        "(<code>firefighter api-token create NAME</code>).</p>",
    ]
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            parts.append(
                f"<h2><code>{escape(method.upper())} {escape(path)}</code></h2>"
                f"<p>{escape(str(operation.get('summary', '')))}</p>"
            )
            parameters = operation.get("parameters", [])
            if parameters:
                parts.append("<ul>")
                for parameter in parameters:
                    where = escape(str(parameter.get("in", "")))
                    name = escape(str(parameter.get("name", "")))
                    kind = escape(_schema_name(parameter.get("schema", {})))
                    parts.append(f"<li><code>{name}</code> ({where}, {kind})</li>")
                parts.append("</ul>")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                parts.append(f"<p>Body: <code>{escape(_schema_name(body['schema']))}</code></p>")
            answers = ", ".join(escape(str(code)) for code in operation.get("responses", {}))
            parts.append(f"<p>Answers: {answers}</p>")
    schemas = document.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        fields = ", ".join(
            f"<code>{escape(field)}</code>" for field in schema.get("properties", {})
        )
        parts.append(f"<h2>{escape(name)}</h2><p>{fields}</p>")
    parts.append("</body></html>")
    return "".join(parts)
