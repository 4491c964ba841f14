"""A small fake of the Slack Web API for tests, served by aiohttp on 127.0.0.1.

The server runs in its own thread with its own event loop, so it works from sync
tests, async tests and any pytest-asyncio loop scope::

    with FakeSlack() as fake:
        client = AsyncWebClient(base_url=fake.base_url, token="xoxb-test")
        await client.chat_postMessage(channel="C1", text="hi")
        [call] = fake.calls_to("chat.postMessage")
        assert call.args["text"] == "hi"

Implemented methods: ``auth.test``, ``chat.postMessage``, ``chat.update``,
``conversations.open``, ``users.info``, ``files.getUploadURLExternal`` +
the upload URL it hands out + ``files.completeUploadExternal`` (the
``files_upload_v2`` flow), and ``apps.connections.open``, which hands out a Socket Mode
websocket on the same server (:meth:`FakeSlack.push_envelope` sends envelopes down it;
:meth:`FakeSlack.wait_for_socket_reply` waits for the client's acknowledgement).
Any other method answers ``unknown_method`` unless a canned answer is registered with :meth:`FakeSlack.set_response`.
``response_url`` targets (for Bolt's ``respond()``) can be minted with
:meth:`FakeSlack.response_url`; posts to them are recorded as method ``"response_url"``.

Failure injection: :meth:`FakeSlack.fail_next` answers the next N calls of a method
with HTTP 429 + ``Retry-After`` (what ``AsyncRateLimitErrorRetryHandler`` waits out)
or with a 5xx status (what ``AsyncServerErrorRetryHandler`` retries on 500/503);
:meth:`FakeSlack.error_next` answers with Slack's usual ``ok: false`` error instead.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import mimetypes
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

JsonDict = dict[str, Any]


@dataclass
class RecordedCall:
    """One HTTP request the fake received."""

    method: str  # Slack method name, e.g. "chat.postMessage" ("upload" / "response_url" for those URLs)
    http_method: str
    params: dict[str, str]  # query string + form fields (values as sent, i.e. still JSON-encoded strings)
    json: Any | None  # parsed JSON body, if the body was JSON
    headers: dict[str, str]
    body: bytes  # raw body (empty for multipart: see ``files``)
    files: dict[str, tuple[str | None, bytes]] = field(default_factory=dict)  # multipart file parts
    status: int = 200  # the HTTP status the fake answered with
    response: Any = None  # what the fake answered (dict for JSON answers)

    @property
    def args(self) -> JsonDict:
        """Params and JSON body merged (JSON wins)."""
        merged: JsonDict = dict(self.params)
        if isinstance(self.json, dict):
            merged.update(self.json)
        return merged

    @property
    def token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[len("Bearer ") :]
        token = self.args.get("token")
        return str(token) if token else None


@dataclass
class FakeUpload:
    """A file going through the files_upload_v2 flow."""

    file_id: str
    filename: str
    length: int  # as declared to files.getUploadURLExternal
    alt_txt: str | None = None
    data: bytes | None = None  # set when the upload URL received the bytes
    title: str | None = None
    channel_id: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None
    completed: bool = False  # files.completeUploadExternal was called for it


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    error: str


class FakeSlack:
    """Fake Slack Web API. Use as a context manager or call ``start()`` / ``stop()``."""

    def __init__(
        self,
        *,
        token: str | None = None,
        team_id: str = "T0FAKE",
        team: str = "Fake Team",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        host: str = "127.0.0.1",
    ) -> None:
        self.expected_token = token  # None: accept any token, but a token is still required
        self.team_id = team_id
        self.team = team
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.host = host
        self.port: int | None = None
        self.users: dict[str, JsonDict] = {}  # overrides/extra fields for users.info, by user id
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []
        self._messages: dict[tuple[str, str], JsonDict] = {}
        self._uploads: dict[str, FakeUpload] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._canned: dict[str, JsonDict | Callable[[RecordedCall], JsonDict]] = {}
        self._ts_counter = itertools.count(1)
        self._file_counter = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_replies: list[JsonDict] = []

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> FakeSlack:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-slack", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._astart(), self._loop).result(timeout=10)
        return self

    async def _astart(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_route("*", "/upload/{file_id}", self._handle_upload)
        app.router.add_get("/files/{file_id}/{name}", self._handle_download)
        app.router.add_post("/response/{name}", self._handle_response_url)
        app.router.add_get("/socket", self._handle_socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    def stop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(timeout=10)
            self._runner = None
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        loop.close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------------
    @property
    def root_url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeSlack not started")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``AsyncWebClient(base_url=...)`` / ``WebClient(base_url=...)``; ends with ``/api/``."""
        return f"{self.root_url}/api/"

    @property
    def socket_url(self) -> str:
        """The Socket Mode websocket ``apps.connections.open`` hands out."""
        return self.root_url.replace("http://", "ws://", 1) + "/socket"

    def response_url(self, name: str = "default") -> str:
        """A local ``response_url`` for interactivity payloads (Bolt ``respond()`` posts there)."""
        return f"{self.root_url}/response/{name}"

    # -- inspection ----------------------------------------------------------------
    @property
    def calls(self) -> list[RecordedCall]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.method == method]

    def successful_calls_to(self, method: str) -> list[RecordedCall]:
        return [c for c in self.calls_to(method) if c.status == 200]

    @property
    def messages(self) -> list[JsonDict]:
        """Messages posted (and updated in place), in posting order."""
        with self._lock:
            return [dict(m) for m in self._messages.values()]

    @property
    def uploads(self) -> list[FakeUpload]:
        with self._lock:
            return list(self._uploads.values())

    @property
    def socket_replies(self) -> list[JsonDict]:
        """What Socket Mode clients sent back (acknowledgements: ``{"envelope_id": ...}``)."""
        with self._lock:
            return list(self._socket_replies)

    async def push_envelope(
        self, payload: JsonDict, *, kind: str = "events_api", retry_attempt: int = 0, retry_reason: str = ""
    ) -> str:
        """Send a Socket Mode envelope (``events_api`` or ``interactive``) to the connected client; returns
        its envelope id, which the client's acknowledgement carries."""
        if self._loop is None:
            raise RuntimeError("FakeSlack not started")
        envelope_id = f"env-{next(self._ts_counter)}"
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": kind != "events_api", "retry_attempt": retry_attempt,
                    "retry_reason": retry_reason}

        async def send() -> None:
            with self._lock:
                sockets = [ws for ws in self._sockets if not ws.closed]
            if not sockets:
                raise RuntimeError("no Socket Mode client is connected")
            await sockets[-1].send_json(envelope)

        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(send(), self._loop))
        return envelope_id

    async def wait_for_socket_reply(self, envelope_id: str, *, timeout: float = 5.0) -> JsonDict:
        """Wait until the Socket Mode client acknowledged ``envelope_id``."""
        deadline = time.monotonic() + timeout
        while True:
            for reply in self.socket_replies:
                if reply.get("envelope_id") == envelope_id:
                    return reply
            if time.monotonic() > deadline:
                raise TimeoutError(f"no Socket Mode reply to {envelope_id} after {timeout}s")
            await asyncio.sleep(0.02)

    async def wait_for(self, method: str, *, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Wait (asynchronously) until ``method`` got ``count`` successful calls; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.successful_calls_to(method)
            if len(calls) >= count:
                return calls
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{method}: {len(calls)} successful call(s) after {timeout}s, wanted {count}"
                )
            await asyncio.sleep(0.02)

    def wait_for_sync(self, method: str, *, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Blocking variant of :meth:`wait_for` (never call it from the loop the app runs on)."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.successful_calls_to(method)
            if len(calls) >= count:
                return calls
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{method}: {len(calls)} successful call(s) after {timeout}s, wanted {count}"
                )
            time.sleep(0.02)

    # -- behaviour control ---------------------------------------------------------
    def fail_next(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 429,
        retry_after: int | None = 1,
        error: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP ``status``.

        429 carries ``Retry-After: <retry_after>`` (omitted if ``None``) and ``{"ok": false,
        "error": "ratelimited"}``; other statuses carry ``{"ok": false, "error": <error>}``.
        ``method`` may also be ``"upload"`` (the upload URL) or ``"response_url"``.
        """
        default_error = "ratelimited" if status == 429 else "internal_error"
        failure = _Failure(status, retry_after if status == 429 else None, error or default_error)
        with self._lock:
            self._failures.setdefault(method, []).extend([failure] * times)

    def error_next(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` the way Slack reports most failures:
        HTTP 200 with ``{"ok": false, "error": <error>}`` (``account_inactive``, ``channel_not_found``...)."""
        with self._lock:
            self._failures.setdefault(method, []).extend([_Failure(200, None, error)] * times)

    def set_response(self, method: str, response: JsonDict | Callable[[RecordedCall], JsonDict]) -> None:
        """Canned 200 answer for ``method`` (a dict, or a function of the call); overrides built-ins."""
        with self._lock:
            self._canned[method] = response

    def reset(self) -> None:
        """Forget calls, messages, uploads, pending failures and canned answers."""
        with self._lock:
            self._calls.clear()
            self._messages.clear()
            self._uploads.clear()
            self._failures.clear()
            self._canned.clear()

    # -- HTTP plumbing -------------------------------------------------------------
    async def _record(self, request: web.Request, method: str) -> RecordedCall:
        params = dict(request.query)
        json_body: Any = None
        files: dict[str, tuple[str | None, bytes]] = {}
        body = b""
        if request.content_type == "multipart/form-data":
            post = await request.post()
            for key, value in post.items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.file.read())
                else:
                    params[key] = str(value)
        else:
            body = await request.read()
            if request.content_type == "application/json" and body:
                json_body = json.loads(body)
            elif request.content_type == "application/x-www-form-urlencoded":
                params.update(parse_qsl(body.decode(), keep_blank_values=True))
        call = RecordedCall(
            method=method,
            http_method=request.method,
            params=params,
            json=json_body,
            headers=dict(request.headers),
            body=body,
            files=files,
        )
        with self._lock:
            self._calls.append(call)
        return call

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            queue = self._failures.get(method)
            return queue.pop(0) if queue else None

    def _failure_response(self, call: RecordedCall, failure: _Failure) -> web.Response:
        headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
        call.status = failure.status
        call.response = {"ok": False, "error": failure.error}
        return web.json_response(call.response, status=failure.status, headers=headers)

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = await self._record(request, method)
        failure = self._take_failure(method)
        if failure is not None:
            return self._failure_response(call, failure)
        result = self._dispatch(method, call)
        call.response = result
        return web.json_response(result)

    def _dispatch(self, method: str, call: RecordedCall) -> JsonDict:
        token = call.token
        if not token:
            return {"ok": False, "error": "not_authed"}
        if self.expected_token is not None and token != self.expected_token:
            return {"ok": False, "error": "invalid_auth"}
        with self._lock:
            canned = self._canned.get(method)
        if canned is not None:
            return canned(call) if callable(canned) else dict(canned)
        handler = self._handlers().get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(call.args)

    def _handlers(self) -> dict[str, Callable[[JsonDict], JsonDict]]:
        return {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "conversations.open": self._conversations_open,
            "users.info": self._users_info,
            "apps.connections.open": self._apps_connections_open,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    # -- Slack methods -------------------------------------------------------------
    def _auth_test(self, _args: JsonDict) -> JsonDict:
        return {
            "ok": True,
            "url": "https://fake-team.slack.com/",
            "team": self.team,
            "user": "coachbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts_counter):06d}"

    @staticmethod
    def _maybe_json(value: Any) -> Any:
        if isinstance(value, str) and value[:1] in "[{":
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def _chat_post_message(self, args: JsonDict) -> JsonDict:
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not any(args.get(k) for k in ("text", "blocks", "attachments")):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        message: JsonDict = {
            "type": "message",
            "channel": channel,
            "ts": ts,
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "text": args.get("text", ""),
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if args.get(key):
                message[key] = self._maybe_json(args[key])
        with self._lock:
            self._messages[(str(channel), ts)] = message
        reply = {k: v for k, v in message.items() if k != "channel"}
        return {"ok": True, "channel": channel, "ts": ts, "message": reply}

    def _chat_update(self, args: JsonDict) -> JsonDict:
        channel, ts = args.get("channel"), args.get("ts")
        if not channel or not ts:
            return {"ok": False, "error": "invalid_arguments"}
        with self._lock:
            # Lenient: updating a message the fake never saw is accepted (and recorded).
            message = self._messages.setdefault(
                (str(channel), str(ts)), {"type": "message", "channel": channel, "ts": ts}
            )
            if "text" in args:
                message["text"] = args["text"]
            for key in ("blocks", "attachments"):
                if key in args:
                    message[key] = self._maybe_json(args[key])
            message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
            reply = {k: v for k, v in message.items() if k != "channel"}
        return {"ok": True, "channel": channel, "ts": ts, "text": args.get("text", ""), "message": reply}

    @staticmethod
    def dm_channel_for(user_id: str) -> str:
        """The DM channel id ``conversations.open`` returns for a user: ``U123`` -> ``D123``."""
        return "D" + user_id[1:] if user_id[:1] in ("U", "W") else "D" + user_id

    def _conversations_open(self, args: JsonDict) -> JsonDict:
        if args.get("channel"):
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": args["channel"]}}
        users = args.get("users")
        if isinstance(users, list):
            users = ",".join(users)
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        ids = [u.strip() for u in str(users).split(",") if u.strip()]
        channel_id = self.dm_channel_for(ids[0]) if len(ids) == 1 else "G" + "".join(sorted(i[1:] for i in ids))[:20]
        return {"ok": True, "no_op": False, "already_open": False, "channel": {"id": channel_id}}

    def _apps_connections_open(self, _args: JsonDict) -> JsonDict:
        return {"ok": True, "url": self.socket_url}

    def _users_info(self, args: JsonDict) -> JsonDict:
        user_id = args.get("user")
        if not user_id:
            return {"ok": False, "error": "user_not_found"}
        user: JsonDict = {
            "id": user_id,
            "team_id": self.team_id,
            "name": f"user_{str(user_id).lower()}",
            "real_name": "Test User",
            "deleted": False,
            "is_bot": user_id == self.bot_user_id,
            "tz": "Europe/London",
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "profile": {"real_name": "Test User", "display_name": "tester"},
        }
        user.update(self.users.get(str(user_id), {}))
        return {"ok": True, "user": user}

    def _files_get_upload_url(self, args: JsonDict) -> JsonDict:
        filename, length = args.get("filename"), args.get("length")
        if not filename or length in (None, ""):
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F0FAKE{next(self._file_counter):05d}"
        upload = FakeUpload(
            file_id=file_id, filename=str(filename), length=int(length), alt_txt=args.get("alt_txt")
        )
        with self._lock:
            self._uploads[file_id] = upload
        return {"ok": True, "upload_url": f"{self.root_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: JsonDict) -> JsonDict:
        files = self._maybe_json(args.get("files"))
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        out = []
        with self._lock:
            for item in files:
                upload = self._uploads.get(str(item.get("id")))
                if upload is None or upload.data is None:
                    return {"ok": False, "error": "file_not_found"}
                upload.title = item.get("title") or upload.filename
                upload.channel_id = args.get("channel_id") or args.get("channels")
                upload.initial_comment = args.get("initial_comment")
                upload.thread_ts = args.get("thread_ts")
                upload.completed = True
                out.append(self._file_object(upload))
        return {"ok": True, "files": out}

    def _file_object(self, upload: FakeUpload) -> JsonDict:
        mimetype = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        return {
            "id": upload.file_id,
            "name": upload.filename,
            "title": upload.title,
            "mimetype": mimetype,
            "filetype": upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else "binary",
            "size": len(upload.data or b""),
            "url_private": f"{self.root_url}/files/{upload.file_id}/{upload.filename}",
            "channels": [upload.channel_id] if upload.channel_id else [],
            "user": self.bot_user_id,
        }

    # -- non-API endpoints ---------------------------------------------------------
    async def _handle_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        call = await self._record(request, "upload")
        failure = self._take_failure("upload")
        if failure is not None:
            return self._failure_response(call, failure)
        data = next(iter(call.files.values()))[1] if call.files else call.body
        with self._lock:
            upload = self._uploads.get(file_id)
            if upload is not None:
                upload.data = data
        if upload is None:
            call.status = 404
            return web.Response(status=404, text="unknown upload url")
        call.response = f"OK - {len(data)}"
        return web.Response(text=call.response)

    async def _handle_download(self, request: web.Request) -> web.Response:
        with self._lock:
            upload = self._uploads.get(request.match_info["file_id"])
        if upload is None or upload.data is None:
            return web.Response(status=404)
        return web.Response(body=upload.data, content_type=mimetypes.guess_type(upload.filename)[0])

    async def _handle_socket(self, request: web.Request) -> web.WebSocketResponse:
        """A Socket Mode peer: says hello, then records what the client sends (its acknowledgements)."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        with self._lock:
            self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0FAKE"}})
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                with self._lock:
                    self._socket_replies.append(json.loads(message.data))
        return ws

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        call = await self._record(request, "response_url")
        failure = self._take_failure("response_url")
        if failure is not None:
            return self._failure_response(call, failure)
        call.response = "ok"
        return web.Response(text="ok")
