"""`create_app(settings)`: the review desk as a FastAPI application."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from chartdrop.models import ensure_migrated, make_engine, session_factory
from chartdrop.review.routes import (
    admin,
    auth,
    codes,
    decide,
    drafts,
    exports,
    files,
    physician,
    queue,
)
from chartdrop.review.security import SESSION_COOKIE, LoginLimiter, SessionCodec, secret_key
from chartdrop.review.web import Forbidden, NotAuthenticated, NotFound, make_templates, render
from chartdrop.settings import Settings

STATIC = Path(__file__).parent / "static"
# Every route of the desk; tests/review/test_access.py checks each one's access rules.
ROUTERS = tuple(
    m.router for m in (auth, queue, drafts, decide, files, codes, physician, admin, exports)
)
# Pages carry patient details: no caching, no framing, no foreign scripts or referrers.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def create_app(settings: Settings) -> FastAPI:
    """The review desk on `settings`' database (which must be migrated)."""
    engine = make_engine(settings.sqlalchemy_url)
    ensure_migrated(engine)
    app = FastAPI(title="chartdrop review desk", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.factory = session_factory(engine)
    app.state.templates = make_templates()
    app.state.limiter = LoginLimiter()
    codec = SessionCodec(secret_key(settings))

    @app.middleware("http")
    async def sessions(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.session = codec.loads(request.cookies.get(SESSION_COOKIE))
        request.state.session_dirty = False
        response = await call_next(request)
        if request.state.session_dirty:
            response.set_cookie(
                SESSION_COOKIE,
                codec.dumps(request.state.session),
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
                path="/",
            )
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(NotAuthenticated)
    async def _login_first(request: Request, exc: NotAuthenticated) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "not logged in"}, status_code=401)
        target = "/login?expired=1" if exc.reason == "idle" else "/login"
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=403)
        return render(request, "error.html", {"title": "Not allowed", "message": str(exc)}, 403)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "not found"}, status_code=404)
        message = str(exc) or "There is nothing here, or nothing you may see."
        return render(request, "error.html", {"title": "Not found", "message": message}, 404)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app
