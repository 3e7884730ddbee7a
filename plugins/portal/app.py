"""The portal's web application (Starlette): pages, upload, progress, report, dashboard.

Who is asking is decided by, in this order: the reverse proxy's authenticated-user header
(when configured, and then only by it), an ``Authorization: Bearer`` token (scripts), the
session cookie set when a token was typed on the login page. Every form carries a CSRF
token (an HMAC of the session, or of a pre-session cookie, under a secret drawn at start);
requests with a foreign ``Origin`` are refused. Results live in memory only, behind an
unguessable link bound to the one who uploaded, for ``result_ttl`` seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import shutil
import tempfile
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from . import integration
from .jobs import AuditPool, Busy, Job, JobFailed
from .tokens import ACADEMY, SCHOOL, UAI_RE, Principal, TokenStore
from .upload import Refused, UploadReader

HERE = Path(__file__).resolve().parent
STATIC = {"portail.css": "text/css; charset=utf-8", "portail.js": "text/javascript; charset=utf-8"}
SESSION_COOKIE, PRE_COOKIE = "scolint_session", "scolint_pre"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


@dataclass
class PortalConfig:
    """Settings of one portal (command-line options of ``scolint serve``)."""

    data_dir: Path
    tmp_root: Path | None = None  # where upload folders go (a private folder is made inside)
    max_bytes: int = 200 * 1024 * 1024
    max_files: int = 40
    timeout: float = 300.0
    workers: int = 2
    queue: int = 32
    memory_mb: int = 0
    result_ttl: float = 600.0
    session_ttl: float = 8 * 3600.0
    uploads_per_hour: int = 30
    login_failures: int = 10  # per client address and 10 minutes
    sso_header: str = ""
    sso_academy: tuple[str, ...] = ()
    demo_zip: Path | None = None
    max_results: int = 200


@dataclass
class Stored:
    owner: Principal
    created: float
    state: str = "pending"  # pending, done, refused, error
    body: str = ""
    messages: list[str] = field(default_factory=list)
    downloads: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


class Portal:
    """State of one running portal (sessions, results, limits); its pages are the routes."""

    def __init__(self, config: PortalConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.clock = clock
        self.tokens = TokenStore(config.data_dir)
        self.secret = secrets.token_bytes(32)
        self.sessions: dict[str, tuple[Principal, float]] = {}
        self.results: "OrderedDict[str, Stored]" = OrderedDict()
        self.uploads: dict[str, deque[float]] = {}
        self.failures: dict[str, deque[float]] = {}
        self.recent: dict[str, dict[str, Any]] = {}
        self.pool = AuditPool(config.workers, config.timeout, config.queue, config.memory_mb)
        self.tmp: Path | None = None
        self.env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                               autoescape=select_autoescape(default=True, default_for_string=True))
        from scolint.plugins.reporters.common import fr_datetime
        self.env.filters["frdate"] = fr_datetime
        self.static_files = {name: (HERE / "static" / name).read_bytes() for name in STATIC}

    # -- life ---------------------------------------------------------------------------
    async def startup(self) -> None:
        parent = str(self.config.tmp_root) if self.config.tmp_root else None
        self.tmp = Path(tempfile.mkdtemp(prefix="scolint-portail-", dir=parent))  # 0700
        await self.pool.start()

    async def shutdown(self) -> None:
        await self.pool.stop()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.results.clear()
        self.sessions.clear()

    def purge(self) -> None:
        now = self.clock()
        for rid in [r for r, s in self.results.items() if now - s.created > self.config.result_ttl]:
            del self.results[rid]
        for sid in [s for s, (_p, exp) in self.sessions.items() if exp < now]:
            del self.sessions[sid]
        for table, window in ((self.uploads, 3600), (self.failures, 600)):
            for key in [k for k, events in table.items() if not events or now - events[-1] > window]:
                del table[key]

    # -- who is asking ------------------------------------------------------------------
    def principal(self, request: Request) -> Principal | None:
        cfg = self.config
        if cfg.sso_header:
            value = request.headers.get(cfg.sso_header, "").strip()
            if not value:
                return None
            if value in cfg.sso_academy:
                return Principal(ACADEMY, value)
            if UAI_RE.match(value.upper()):
                return Principal(SCHOOL, value.upper())
            return None
        auth = request.headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            return self.tokens.check(auth[7:].strip())
        sid = request.cookies.get(SESSION_COOKIE, "")
        found = self.sessions.get(sid)
        if found and found[1] >= self.clock():
            return found[0]
        return None

    def bearer(self, request: Request) -> bool:
        return not self.config.sso_header and request.headers.get("authorization", "")[:7].lower() == "bearer "

    def csrf_token(self, request: Request, pre: str) -> str:
        anchor = request.cookies.get(SESSION_COOKIE, "") if request.cookies.get(SESSION_COOKIE) in self.sessions else ""
        if self.config.sso_header:
            anchor = request.headers.get(self.config.sso_header, "")
        return hmac.new(self.secret, f"csrf|{anchor}|{pre}".encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, request: Request, value: str) -> bool:
        pre = request.cookies.get(PRE_COOKIE, "")
        return bool(pre) and hmac.compare_digest(value.encode(), self.csrf_token(request, pre).encode())

    def same_origin(self, request: Request) -> bool:
        """False for a request a browser says comes from another site (Fetch metadata, then Origin)."""
        site = request.headers.get("sec-fetch-site")
        if site is not None and not self.bearer(request):
            return site in ("same-origin", "none")
        origin = request.headers.get("origin")
        if origin is None or self.bearer(request):
            return True
        return origin == f"{request.url.scheme}://{request.headers.get('host', '')}"

    def limited(self, table: dict[str, deque[float]], key: str, limit: int, window: float) -> bool:
        """Record one event of ``key``; True when more than ``limit`` fell in ``window`` seconds."""
        now = self.clock()
        events = table.setdefault(key, deque())
        while events and now - events[0] > window:
            events.popleft()
        if len(events) >= limit:
            return True
        events.append(now)
        return False

    # -- pages --------------------------------------------------------------------------
    def page(self, request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(16)
        who = self.principal(request)
        html = self.env.get_template(template).render(
            principal=who, csrf=self.csrf_token(request, pre), sso=bool(self.config.sso_header),
            max_mb=self.config.max_bytes // (1024 * 1024), max_files=self.config.max_files, **ctx)
        response = HTMLResponse(html, status_code=status)
        if request.cookies.get(PRE_COOKIE) != pre:
            self.set_cookie(request, response, PRE_COOKIE, pre)
        return response

    def refusal(self, request: Request, status: int, message: str, title: str = "Envoi refusé") -> HTMLResponse:
        return self.page(request, "erreur.html.j2", status=status, titre=title, messages=[message])

    def set_cookie(self, request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https")

    async def home(self, request: Request) -> Response:
        who = self.principal(request)
        if who is None:
            if self.config.sso_header:
                return self.refusal(request, 401, "vous n'êtes pas identifié par le portail académique : "
                                                  "reconnectez-vous par l'adresse habituelle.", "Accès refusé")
            return self.page(request, "connexion.html.j2")
        return self.page(request, "envoi.html.j2", demo=self.config.demo_zip is not None)

    async def login(self, request: Request) -> Response:
        if self.config.sso_header:
            return RedirectResponse("/", status_code=303)
        if not self.same_origin(request):
            return self.refusal(request, 403, "formulaire venu d'un autre site : refusé.", "Accès refusé")
        client = request.client.host if request.client else "?"
        try:
            form = await request.form(max_files=0, max_fields=4, max_part_size=4096)
        except Exception:
            return self.refusal(request, 400, "formulaire de connexion illisible.", "Accès refusé")
        if not self.csrf_ok(request, str(form.get("csrf", ""))):
            return self.refusal(request, 403, "formulaire refusé : jeton anti-falsification absent ou faux. "
                                              "Rechargez la page et recommencez.", "Accès refusé")
        failures = self.failures.get(client)
        if failures and len(failures) >= self.config.login_failures and self.clock() - failures[0] <= 600:
            return self.refusal(request, 429, "trop d'essais de jeton : attendez dix minutes.", "Accès refusé")
        who = self.tokens.check(str(form.get("jeton", "")))
        if who is None:
            self.limited(self.failures, client, self.config.login_failures, 600)
            return self.page(request, "connexion.html.j2", status=403,
                             erreur="jeton inconnu : vérifiez-le (il a été remis à votre établissement par "
                                    "l'équipe académique) ou demandez-en un nouveau.")
        self.purge()
        sid = secrets.token_urlsafe(32)
        self.sessions[sid] = (who, self.clock() + self.config.session_ttl)
        response = RedirectResponse("/academie" if who.is_academy else "/", status_code=303)
        self.set_cookie(request, response, SESSION_COOKIE, sid)
        # a new pre-session cookie: the CSRF token changes with the session
        self.set_cookie(request, response, PRE_COOKIE, secrets.token_urlsafe(16))
        return response

    async def logout(self, request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=4, max_part_size=4096)
        if not self.same_origin(request) or not self.csrf_ok(request, str(form.get("csrf", ""))):
            return self.refusal(request, 403, "formulaire refusé : rechargez la page et recommencez.", "Accès refusé")
        self.sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # -- upload -------------------------------------------------------------------------
    async def upload(self, request: Request) -> Response:
        who = self.principal(request)
        if who is None:
            return self.refusal(request, 401, "jeton absent, inconnu ou session expirée : reconnectez-vous.",
                                "Accès refusé")
        if not self.same_origin(request):
            return self.refusal(request, 403, "formulaire venu d'un autre site : refusé.")
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > self.config.max_bytes + 64 * 1024:
            return self.refusal(request, 413, f"envoi trop gros : {self.config.max_bytes // (1024 * 1024)} Mo au "
                                              "plus. Envoyez les exports en plusieurs fois.")
        if self.pool.waiting >= self.config.queue + self.pool.size:
            return self.refusal(request, 503, "le portail analyse déjà beaucoup d'envois : réessayez dans quelques "
                                              "minutes.", "Portail occupé")
        if self.limited(self.uploads, f"{who.role}:{who.key}", self.config.uploads_per_hour, 3600):
            return self.refusal(request, 429, f"{self.config.uploads_per_hour} envois par heure au plus : "
                                              "réessayez plus tard.")
        assert self.tmp is not None
        folder = Path(tempfile.mkdtemp(dir=self.tmp))
        header_csrf = request.headers.get("x-csrf-token", "")
        reader = None
        try:
            reader = UploadReader(request.headers.get("content-type", ""), folder / "envoi",
                                  self.config.max_bytes, self.config.max_files,
                                  lambda v: self.csrf_ok(request, v),
                                  self.bearer(request) or (bool(header_csrf) and self.csrf_ok(request, header_csrf)))
            async for chunk in request.stream():
                reader.feed(chunk)
            reader.close()
        except Refused as exc:
            if reader is not None:
                reader.abort()
            shutil.rmtree(folder, ignore_errors=True)
            return self.refusal(request, exc.status, exc.message)
        except ClientDisconnect:  # the browser went away: nothing of the upload stays
            if reader is not None:
                reader.abort()
            shutil.rmtree(folder, ignore_errors=True)
            return Response(status_code=400)
        except BaseException:  # server stopping: nothing of the upload stays
            if reader is not None:
                reader.abort()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self.purge()
        rid = secrets.token_urlsafe(32)
        self.results[rid] = Stored(who, self.clock())
        while len(self.results) > self.config.max_results:
            self.results.popitem(last=False)
        spec = {"folder": str(folder), "key": who.key, "uai": who.key if who.role == SCHOOL else None,
                "data_dir": str(self.config.data_dir)}
        url = f"/rapport/{rid}"
        head, tail = self.env.get_template("progression.html.j2").render(
            principal=who, nombre=len(reader.files), taille=_size(reader.received), url=url,
            csrf=self.csrf_token(request, request.cookies.get(PRE_COOKIE, "")), sso=bool(self.config.sso_header),
        ).split("<!--ETAPES-->")
        return StreamingResponse(self._progress(rid, folder, Job(spec), head, tail), media_type="text/html; charset=utf-8",
                                 headers={"X-Scolint-Resultat": url, "X-Accel-Buffering": "no",
                                          "Cache-Control": "no-store"})

    async def _progress(self, rid: str, folder: Path, job: Job, head: str, tail: str) -> AsyncIterator[str]:
        steps: asyncio.Queue[str] = asyncio.Queue()
        task: asyncio.Task[dict[str, Any]] | None = None

        def cleanup(_t: Any = None) -> None:
            if task is not None and task.done() and not task.cancelled():
                task.exception()  # retrieved: no "never retrieved" warning
            shutil.rmtree(folder, ignore_errors=True)

        try:
            yield head + " " * 1024  # browsers render a streamed page after its first kilobyte
            task = asyncio.create_task(self.pool.run(job, steps.put_nowait))
            task.add_done_callback(cleanup)
            yield _step("Fichiers reçus")
            while True:
                getter = asyncio.ensure_future(steps.get())
                await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield _step(getter.result())
                    continue
                getter.cancel()
                break
            while not steps.empty():
                yield _step(steps.get_nowait())
            self._finish(rid, task)
            yield tail
        finally:
            job.cancelled.set()
            if task is None or task.done():
                cleanup()

    def _finish(self, rid: str, task: "asyncio.Task[dict[str, Any]]") -> None:
        stored = self.results.get(rid)
        if stored is None:
            return
        try:
            payload = task.result()
        except Busy:
            stored.state, stored.messages = "error", ["le portail analyse déjà beaucoup d'envois : réessayez dans "
                                                      "quelques minutes."]
            return
        except JobFailed as exc:
            stored.state, stored.messages = "error", [str(exc)]
            return
        except Exception as exc:  # a bug of the pool: the page says so in French, the log says where
            import sys

            from scolint.engine.errors import internal_error
            print(f"scolint serve : erreur interne pendant une analyse ({internal_error(exc)})", file=sys.stderr)
            stored.state, stored.messages = "error", ["erreur interne pendant l'analyse : les fichiers n'ont pas pu "
                                                      "être audités. Prévenez l'équipe académique."]
            return
        summary = payload.get("summary") or {}
        stored.summary = summary
        if payload.get("refused"):
            stored.state, stored.messages = "refused", list(payload["refused"])
            return
        stored.body = _body(payload["html"])
        stored.downloads = {name: (media, data, label) for name, media, data, label in payload["downloads"]}
        stored.state = "done"
        key = summary.get("uai") or stored.owner.key
        self.recent[key] = {"uai": key, "establishment": summary.get("establishment"),
                            "date": summary.get("date"), "counts": summary.get("counts")}

    def owned(self, request: Request, rid: str) -> Stored | None:
        """The result ``rid`` if it exists, has not expired and belongs to the one asking."""
        self.purge()
        who = self.principal(request)
        stored = self.results.get(rid)
        if stored is None or who is None or stored.owner != who:
            return None
        return stored

    async def report(self, request: Request) -> Response:
        stored = self.owned(request, request.path_params["rid"])
        if stored is None:
            return self.refusal(request, 404, "ce rapport n'existe pas, a expiré (il n'est gardé que quelques minutes) "
                                              "ou ne vous appartient pas : renvoyez vos exports.", "Rapport introuvable")
        rid = request.path_params["rid"]
        if stored.state == "pending":
            response = self.page(request, "attente.html.j2", url=f"/rapport/{rid}")
        elif stored.state == "done":
            minutes = max(1, round((self.config.result_ttl - (self.clock() - stored.created)) / 60))
            response = self.page(request, "rapport.html.j2", rapport=stored.body, rid=rid, minutes=minutes,
                                 telechargements=[(name, label) for name, (_m, _d, label) in stored.downloads.items()],
                                 resume=stored.summary)
        else:
            status = 422 if stored.state == "refused" else 500 if "interne" in " ".join(stored.messages) else 503
            response = self.page(request, "erreur.html.j2", status=status, messages=stored.messages,
                                 titre="Envoi refusé" if stored.state == "refused" else "Analyse impossible")
        response.headers["Cache-Control"] = "no-store"
        return response

    async def download(self, request: Request) -> Response:
        stored = self.owned(request, request.path_params["rid"])
        item = stored.downloads.get(request.path_params["name"]) if stored else None
        if item is None:
            return self.refusal(request, 404, "ce fichier n'existe pas, a expiré ou ne vous appartient pas.",
                                "Fichier introuvable")
        media, data, _label = item
        return Response(data, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{request.path_params["name"]}"',
            "Cache-Control": "no-store"})

    # -- academy ------------------------------------------------------------------------
    async def dashboard(self, request: Request) -> Response:
        who = self.principal(request)
        if who is None:
            return self.refusal(request, 401, "connectez-vous avec le jeton de l'équipe académique.", "Accès refusé")
        if not who.is_academy:
            return self.refusal(request, 403, "le tableau de bord est réservé à l'équipe académique.", "Accès refusé")
        data = integration.dashboard(list(self.recent.values()), self.tokens.entries(), self.config.data_dir)
        response = self.page(request, "academie.html.j2", lignes=data["rows"], source=data["source"])
        response.headers["Cache-Control"] = "no-store"
        return response

    # -- files --------------------------------------------------------------------------
    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.static_files:
            return PlainTextResponse("introuvable", status_code=404)
        return Response(self.static_files[name], media_type=STATIC[name], headers={"Cache-Control": "max-age=3600"})

    async def demo(self, request: Request) -> Response:
        if self.config.demo_zip is None or self.principal(request) is None:
            return self.refusal(request, 404, "page introuvable.", "Page introuvable")
        return Response(self.config.demo_zip.read_bytes(), media_type="application/zip",
                        headers={"Content-Disposition": 'attachment; filename="exports-demo.zip"'})

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def not_found(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        text = "page introuvable." if status == 404 else "méthode non permise sur cette adresse."
        return self.refusal(request, status, text, "Page introuvable" if status == 404 else "Requête refusée")


def _step(text: str) -> str:
    from markupsafe import escape
    return f'<li data-etape="">{escape(text)}</li>\n'


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} Mo".replace(".", ",") if n >= 1024 * 1024 else f"{max(1, n // 1024)} ko"


def _body(html: str) -> str:
    """The inside of the report's ``<body>`` (the e-mail's report, to embed in the page)."""
    found = re.search(r"<body[^>]*>(.*)</body>", html, re.S | re.I)
    return found.group(1) if found else html


class SecurityHeaders:
    """ASGI middleware: the same security headers on every response."""

    HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
               (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY"),
               (b"cross-origin-opener-policy", b"same-origin"), (b"cross-origin-resource-policy", b"same-origin"),
               (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def wrapped(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"server"]
                headers += self.HEADERS
                if https:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, wrapped)


def create_app(config: PortalConfig, clock: Callable[[], float] = time.monotonic) -> Starlette:
    """The ASGI application of a portal (the worker processes start with it)."""
    from contextlib import asynccontextmanager

    from starlette.middleware import Middleware

    portal = Portal(config, clock)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await portal.startup()
        try:
            yield
        finally:
            await portal.shutdown()

    routes = [
        Route("/", portal.home, methods=["GET"]),
        Route("/connexion", portal.login, methods=["POST"]),
        Route("/deconnexion", portal.logout, methods=["POST"]),
        Route("/envoyer", portal.upload, methods=["POST"]),
        Route("/rapport/{rid}", portal.report, methods=["GET"]),
        Route("/rapport/{rid}/{name}", portal.download, methods=["GET"]),
        Route("/academie", portal.dashboard, methods=["GET"]),
        Route("/statique/{name}", portal.static, methods=["GET"]),
        Route("/demo/exports-demo.zip", portal.demo, methods=["GET"]),
        Route("/sante", portal.health, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(SecurityHeaders)],
                    exception_handlers={404: portal.not_found, 405: portal.not_found})
    app.state.portal = portal
    return app
