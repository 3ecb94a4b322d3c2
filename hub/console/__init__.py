"""The web console: static files under ``/console/``, served by the hub itself.

The console is one page (``static/index.html``) with a plain ES module and no build step.
It reads the UI strings from ``static/strings.json`` and the GraphQL operations it sends
from ``static/queries/*.graphql``, and it talks only to the origin that served it, so it
works on a network without Internet access.

Only the files found under ``static/`` when the routes are built are served: the request
path is looked up in that table and never joined to a directory, so ``..`` or an encoded
slash cannot reach another file. Every response, a 404 or 405 included, carries a
Content-Security-Policy that allows scripts, styles and connections to this origin only.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "CONTENT_TYPES",
    "STATIC_DIR",
    "ConsoleFiles",
    "console_routes",
    "security_headers",
    "static_files",
]

STATIC_DIR = Path(__file__).with_name("static")
INDEX = "index.html"

# Set by suffix rather than by the mimetypes module, whose results depend on the host's
# /etc/mime.types. A file with any other suffix is not served.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".graphql": "text/plain; charset=utf-8",
}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)

ALLOWED_METHODS = ("GET", "HEAD")


def security_headers(name: str | None = None) -> dict[str, str]:
    """Return the headers for a console response; ``name`` is the file served, if any.

    The page is never stored, so a replaced console is never mixed with an old one. The
    other files have no version in their names, so a browser revalidates them each time.
    """
    return {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store" if name in (None, INDEX) else "no-cache",
    }


def console_routes(directory: Path = STATIC_DIR) -> list[BaseRoute]:
    """Return the routes: ``/console`` redirects to ``/console/``, which serves the files."""
    app = ConsoleFiles(static_files(directory))
    # An ASGI app rather than a function, so that Starlette lets every method through and
    # the app's own 405 carries the security headers too.
    return [Route("/console", app), Route("/console/{path:path}", app)]


class ConsoleFiles:
    """Serve the files of ``static_files`` by their path under ``/console/``."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = self.respond(request)
        await response(scope, receive, send)

    def respond(self, request: Request) -> Response:
        if request.method not in ALLOWED_METHODS:
            headers = {**security_headers(), "Allow": ", ".join(ALLOWED_METHODS)}
            return PlainTextResponse("Method Not Allowed", status_code=405, headers=headers)

        if "path" not in request.path_params:
            target = f"{request.scope.get('root_path', '')}/console/"
            return RedirectResponse(target, headers=security_headers())

        name = request.path_params["path"] or INDEX
        path = self.files.get(name)
        if path is None:
            return PlainTextResponse("Not Found", status_code=404, headers=security_headers())
        return FileResponse(path, media_type=CONTENT_TYPES[path.suffix], headers=security_headers(name))


def static_files(directory: Path) -> dict[str, Path]:
    """Map each servable file's path under ``directory`` (``queries/x.graphql``) to the file.

    A file reached through a symbolic link (the file's or a folder's) is left out, so a link
    placed under ``static/`` cannot expose a file from elsewhere.
    """
    root = directory.resolve()
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in CONTENT_TYPES or path.resolve() != path:
            continue
        found[path.relative_to(root).as_posix()] = path
    return found
