"""/problems/<code>: the documentation each problem's ``type`` URI points at (no token needed)."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from gateway.errors import NotFound
from gateway.problem_docs import PROBLEM_DOCS, PROBLEMS_PATH, ProblemDoc

router = APIRouter(prefix=PROBLEMS_PATH.rstrip("/"), tags=["problems"])

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main>
{body}
<p><a href="{index}">Every problem the gateway reports</a></p>
</main></body></html>
"""


def _section(code: str, doc: ProblemDoc, level: str) -> str:
    return (f"<{level} id=\"{code}\">{escape(doc.title)} <small>({doc.status}, "
            f"<code>{code}</code>)</small></{level}>\n<p>{escape(doc.meaning)}</p>\n"
            f"<p><strong>What to do:</strong> {escape(doc.remedy)}</p>")


@router.get("", response_class=HTMLResponse, summary="Every problem type the API answers with")
async def problem_index() -> HTMLResponse:
    body = "<h1>Problems the gateway reports</h1>\n" + "\n".join(
        _section(code, doc, "h2") for code, doc in PROBLEM_DOCS.items())
    return HTMLResponse(_PAGE.format(title="Problems", body=body, index=PROBLEMS_PATH))


@router.get("/{code}", response_class=HTMLResponse, summary="What one problem type means",
            responses={404: {"description": "No such problem type"}})
async def problem_page(code: str) -> HTMLResponse:
    doc = PROBLEM_DOCS.get(code)
    if doc is None:
        raise NotFound(f"The gateway reports no problem of type {code!r}.")
    return HTMLResponse(_PAGE.format(title=escape(doc.title), body=_section(code, doc, "h1"),
                                     index=PROBLEMS_PATH))
