"""REST JSON API connector: authenticated, retried and paged requests to any JSON API.

Retries are a small loop of our own rather than urllib3's `Retry`: the loop logs each retry with
its reason and wait (`GET /orders answered HTTP 429; retrying in 7.0 s (Retry-After)`), reads
`Retry-After` as seconds or as an HTTP date, refuses waits longer than configured instead of
sleeping for hours, and makes the rule for unsafe methods explicit. A POST or PATCH that may have
reached the server is not sent again unless `retry_unsafe_methods` says the API tolerates it: an
order created twice in an ERP is worse than a failed run.
"""

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field, PrivateAttr

logger = logging.getLogger(__name__)

# Establishing a connection takes milliseconds when the server is up; waiting the whole read
# timeout for a SYN that is never answered only delays the retry.
CONNECT_TIMEOUT_SECONDS = 10.0

# Gateway and server failures that are usually over by the next attempt.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

# Methods that change nothing more when repeated (RFC 9110 section 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

# First step of the exponential backoff used when the server gives no Retry-After.
BACKOFF_BASE_SECONDS = 0.5

# How much of the server's error body goes into an exception message.
MAX_ERROR_MESSAGE_CHARS = 500

# A runaway pager (a server that always returns a full page, or a cursor loop) stops here.
DEFAULT_MAX_PAGES = 10_000

AuthStyle = Literal["none", "bearer", "basic", "api_key"]
PagingStyle = Literal["none", "page", "cursor", "link"]


class RestError(Exception):
    """Base class of everything the REST connector raises."""


class RestConfigError(RestError, ValueError):
    """The connector's configuration cannot work; the message says what to change."""


class RestHttpError(RestError):
    """The server answered with an error status (after retries, for retryable ones)."""

    def __init__(self, *, method: str, url: str, status: int, message: str, attempts: int):
        self.method = method
        self.url = url
        self.status = status
        self.message = message
        self.attempts = attempts
        advice = _advice(status)
        super().__init__(
            f"{method} {url} answered HTTP {status} after {attempts} attempt(s): {message}. "
            f"{advice}"
        )


class RestConnectionError(RestError):
    """The server could not be reached, or the connection broke, after every attempt."""


class RestTimeout(RestConnectionError):
    """The server did not answer within the configured timeout."""


class RestResponseError(RestError):
    """The answer was not the JSON the configuration describes (paths, cursors, links)."""


class _Retryable(Exception):
    """An attempt failed in a way another attempt may fix."""

    def __init__(self, reason: str, *, wait: float | None, final: Exception) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.final = final


class RestApiClient(ConfigurableResource):
    """A JSON API over HTTP: authentication, retries and paging set by configuration.

    The same resource serves any role (a WMS, a PIM, a support desk); only the configuration
    differs. Secrets are kept out of repr() and logs. See docs/connectors.md.
    """

    base_url: str = Field(description="Root of the API; request paths are appended to it.")
    auth: AuthStyle = Field(default="none", description="none, bearer, basic or api_key.")
    token: str | None = Field(default=None, description="Bearer token.", repr=False)
    username: str | None = Field(default=None, description="User for basic auth.")
    password: str | None = Field(default=None, description="Password for basic auth.", repr=False)
    api_key: str | None = Field(default=None, description="Key for api_key auth.", repr=False)
    api_key_header: str = Field(default="X-API-Key", description="Header that carries api_key.")
    headers: dict[str, str] = Field(
        default_factory=dict, description="Headers sent with every request.", repr=False
    )
    timeout_seconds: float = Field(default=30.0, description="Read timeout of one request.")
    max_attempts: int = Field(default=5, description="Attempts per request, the first included.")
    max_backoff_seconds: float = Field(
        default=30.0, description="Ceiling of the backoff used when there is no Retry-After."
    )
    max_retry_after_seconds: float = Field(
        default=300.0, description="Longest Retry-After honoured; a longer one fails the call."
    )
    retry_unsafe_methods: bool = Field(
        default=False,
        description="Also resend POST and PATCH after a 5xx or a lost answer; only for APIs "
        "that deduplicate (idempotency keys).",
    )
    paging: PagingStyle = Field(default="none", description="none, page, cursor or link.")
    items_path: str | None = Field(
        default=None, description="Dotted path to the list of items; unset if the body is it."
    )
    page_param: str = Field(default="page", description="Page number parameter (page paging).")
    limit_param: str = Field(default="limit", description="Page size parameter (page paging).")
    page_size: int = Field(default=100, description="Items per page (page paging).")
    first_page: int = Field(default=1, description="Number of the first page (page paging).")
    cursor_path: str | None = Field(
        default=None, description="Dotted path to the next cursor in a response (cursor paging)."
    )
    cursor_param: str = Field(default="cursor", description="Parameter that sends the cursor.")
    max_pages: int = Field(default=DEFAULT_MAX_PAGES, description="Pages read at most per call.")

    # Injectable for tests, so that retries run without real waiting.
    _sleep: Callable[[float], None] = PrivateAttr(default=time.sleep)
    _wall_time: Callable[[], float] = PrivateAttr(default=time.time)
    _random: Callable[[], float] = PrivateAttr(default=random.random)
    _session: requests.Session | None = PrivateAttr(default=None)
    _session_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Check the configuration when a run starts rather than at the first request."""
        self._ready()

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self.close()

    def close(self) -> None:
        """Close keep-alive connections; the connector opens new ones if used again."""
        if self._session is not None:
            self._session.close()

    def get_items(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict]:
        """Yield the items of a listing, fetching one page at a time as the caller consumes them.

        Args:
            path: path below `base_url`, e.g. `/v1/orders`.
            params: query parameters of the first request (paging adds its own).

        Yields:
            Each item found at `items_path` of each page.
        """
        self._ready()
        url = self._url(path)
        return self._items(url, dict(params or {}))

    def send(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send one request and return the parsed JSON answer (None for an empty body).

        Raises:
            RestHttpError: the server answered with an error status; it carries the status and
                the server's message (truncated).
            RestTimeout: no answer within `timeout_seconds`, after every allowed attempt.
            RestConnectionError: the server could not be reached.
            RestResponseError: the answer is not JSON.
        """
        self._ready()
        response = self._request(method.upper(), self._url(path), params=params, json=json)
        return _json_of(response, allow_empty=True)

    def _items(self, url: str, params: dict[str, Any]) -> Iterator[dict]:
        pages = items = 0
        try:
            for page in self._pages(url, params):
                pages += 1
                items += len(page)
                yield from page
        finally:
            logger.info("fetched %d pages, %d items from GET %s", pages, items, _path_of(url))

    def _pages(self, url: str, params: dict[str, Any]) -> Iterator[list[Any]]:
        if self.paging == "page":
            yield from self._numbered_pages(url, params)
        elif self.paging == "cursor":
            yield from self._cursor_pages(url, params)
        elif self.paging == "link":
            yield from self._linked_pages(url, params)
        else:
            yield self._items_of(_json_of(self._request("GET", url, params=params)), url)

    def _numbered_pages(self, url: str, params: dict[str, Any]) -> Iterator[list[Any]]:
        for number in self._page_numbers(url):
            page_params = {**params, self.page_param: number, self.limit_param: self.page_size}
            items = self._items_of(_json_of(self._request("GET", url, params=page_params)), url)
            yield items
            # The last page is the first one that is not full; an empty one ends it too.
            if len(items) < self.page_size:
                return

    def _cursor_pages(self, url: str, params: dict[str, Any]) -> Iterator[list[Any]]:
        cursor = None
        for _ in self._page_numbers(url):
            page_params = params if cursor is None else {**params, self.cursor_param: cursor}
            body = _json_of(self._request("GET", url, params=page_params))
            yield self._items_of(body, url)

            following = _at_path(body, self.cursor_path or "", default=None)
            if following in (None, ""):
                return
            if following == cursor:
                raise RestResponseError(
                    f"GET {_path_of(url)} returned the cursor {following!r} it was sent, so paging "
                    f"would never end; check cursor_path ({self.cursor_path!r})"
                )
            cursor = following

    def _linked_pages(self, url: str, params: dict[str, Any]) -> Iterator[list[Any]]:
        next_url: str | None = url
        page_params: dict[str, Any] | None = params
        for _ in self._page_numbers(url):
            response = self._request("GET", next_url, params=page_params)
            yield self._items_of(_json_of(response), url)

            link = response.links.get("next", {}).get("url")
            if not link:
                return
            # The next link already holds every parameter the server wants sent again.
            next_url, page_params = self._same_origin(urljoin(response.url, link)), None

    def _page_numbers(self, url: str) -> Iterator[int]:
        yield from range(self.first_page, self.first_page + self.max_pages)
        raise RestResponseError(
            f"GET {_path_of(url)} still had pages after {self.max_pages}; raise max_pages if the "
            "listing really is that long, or check the paging configuration"
        )

    def _items_of(self, body: Any, url: str) -> list[Any]:
        items = _at_path(body, self.items_path or "", default=_MISSING)
        if not isinstance(items, list):
            found = "nothing" if items is _MISSING else type(items).__name__
            raise RestResponseError(
                f"GET {_path_of(url)}: expected a list at items_path {self.items_path!r}, found "
                f"{found}; point items_path at the list of items"
            )
        return items

    def _same_origin(self, link: str) -> str:
        # The session sends credentials with every request: a next link to another host must
        # not receive them.
        if _origin(link) != _origin(self.base_url):
            raise RestResponseError(
                f"the next-page link points to {_origin(link)}, not to {_origin(self.base_url)}; "
                "refusing to send credentials there"
            )
        return link

    def _url(self, path: str) -> str:
        if urlsplit(path).scheme:
            raise RestConfigError(f"pass a path below base_url, not a full URL ({path!r})")
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> requests.Response:
        session = self._ready()
        attempt = 1
        while True:
            try:
                return self._attempt(session, method, url, params=params, json=json)
            except _Retryable as failure:
                self._wait_before_retry(failure, method=method, url=url, attempt=attempt)
                attempt += 1

    def _attempt(
        self,
        session: requests.Session,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
    ) -> requests.Response:
        timeout = (min(CONNECT_TIMEOUT_SECONDS, self.timeout_seconds), self.timeout_seconds)
        resendable = method in IDEMPOTENT_METHODS or self.retry_unsafe_methods
        try:
            response = session.request(method, url, params=params, json=json, timeout=timeout)
        except (requests.ConnectionError, requests.Timeout) as error:
            final = _connection_failure(error, method, url, self.timeout_seconds)
            # Nothing was sent when connecting failed, so even a POST may go again.
            if resendable or _never_sent(error):
                raise _Retryable(_describe(error), wait=None, final=final) from error
            raise final from error

        logger.debug("%s %s: HTTP %d", method, _path_of(url), response.status_code)
        if response.ok:
            return response

        failure = self._http_error(response, method, url)
        # A 429 comes from a limiter that turned the request away before doing anything.
        if response.status_code == 429 or (
            response.status_code in RETRYABLE_STATUSES and resendable
        ):
            wait = retry_after_seconds(response.headers.get("Retry-After"), now=self._wall_time())
            raise _Retryable(f"HTTP {response.status_code}", wait=wait, final=failure)
        raise failure

    def _http_error(self, response: requests.Response, method: str, url: str) -> RestHttpError:
        return RestHttpError(
            method=method,
            url=_path_of(url),
            status=response.status_code,
            message=_server_message(response),
            attempts=1,
        )

    def _wait_before_retry(
        self, failure: _Retryable, *, method: str, url: str, attempt: int
    ) -> None:
        if attempt >= self.max_attempts:
            raise _with_attempts(failure.final, attempt) from failure

        wait, source = failure.wait, "Retry-After"
        if wait is None:
            ceiling = min(self.max_backoff_seconds, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
            # Full jitter spreads the retries of clients that failed together.
            wait, source = self._random() * ceiling, "backoff"
        if wait > self.max_retry_after_seconds:
            logger.error(
                "%s %s answered %s asking for a wait of %.0f s, beyond max_retry_after_seconds "
                "(%.0f s); giving up",
                method,
                _path_of(url),
                failure.reason,
                wait,
                self.max_retry_after_seconds,
            )
            raise _with_attempts(failure.final, attempt) from failure

        logger.warning(
            "%s %s failed: %s; retrying in %.1f s (%s), attempt %d of %d",
            method,
            _path_of(url),
            failure.reason,
            wait,
            source,
            attempt + 1,
            self.max_attempts,
        )
        self._sleep(wait)

    def _ready(self) -> requests.Session:
        if self._session is not None:
            return self._session
        with self._session_lock:
            if self._session is None:
                self._validate()
                self._session = self._build_session()
        return self._session

    def _build_session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update({"Accept": "application/json", "User-Agent": "centra-pipelines"})
        session.headers.update(self.headers)
        if self.auth == "bearer":
            session.headers["Authorization"] = f"Bearer {self.token}"
        elif self.auth == "basic":
            session.auth = (self.username or "", self.password or "")
        elif self.auth == "api_key":
            session.headers[self.api_key_header] = self.api_key or ""
        return session

    def _validate(self) -> None:
        problems = []
        if not self.base_url.startswith(("http://", "https://")):
            problems.append(f"base_url must be an http(s) URL, not {self.base_url!r}")
        needed = {"bearer": ("token",), "basic": ("username", "password"), "api_key": ("api_key",)}
        missing = [field for field in needed.get(self.auth, ()) if not getattr(self, field)]
        if missing:
            problems.append(f"auth {self.auth} needs {', '.join(missing)}")
        if self.timeout_seconds <= 0 or self.max_attempts < 1:
            problems.append("timeout_seconds must be positive and max_attempts at least 1")
        if self.page_size < 1 or self.max_pages < 1:
            problems.append("page_size and max_pages must be at least 1")
        if self.paging == "cursor" and not self.cursor_path:
            problems.append("cursor paging needs cursor_path, the path of the next cursor")
        if problems:
            raise RestConfigError("invalid REST connector configuration: " + "; ".join(problems))


_MISSING = object()


def retry_after_seconds(value: str | None, *, now: float) -> float | None:
    """Seconds to wait that a `Retry-After` header asks for, or None if absent or unreadable.

    Args:
        value: delay seconds (`"7"`) or an HTTP date (`"Wed, 21 Oct 2026 07:28:00 GMT"`).
        now: the current Unix time, for the date form.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    # RFC 9110 dates are GMT; a date without a zone is read as UTC, not as local time.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)


def _at_path(body: Any, path: str, *, default: Any) -> Any:
    """The value at a dotted path (`data.items`, `meta.next.0`); the body itself for ''."""
    value = body
    for segment in (part for part in path.split(".") if part):
        if isinstance(value, Mapping) and segment in value:
            value = value[segment]
        elif isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
            value = value[int(segment)]
        else:
            return default
    return value


def _json_of(response: requests.Response, *, allow_empty: bool = False) -> Any:
    if allow_empty and not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise RestResponseError(
            f"{response.request.method} {_path_of(response.url)} answered HTTP "
            f"{response.status_code} with a body that is not JSON "
            f"({response.headers.get('Content-Type', 'no content type')}); check base_url"
        ) from None


def _server_message(response: requests.Response) -> str:
    """The server's own explanation: a JSON message field when there is one, else the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    message = None
    if isinstance(body, Mapping):
        for key in ("message", "error_description", "error", "detail", "title"):
            if isinstance(body.get(key), str):
                message = body[key]
                break
    text = message or response.text.strip() or response.reason or "no message"
    if len(text) > MAX_ERROR_MESSAGE_CHARS:
        return text[:MAX_ERROR_MESSAGE_CHARS] + "…"
    return text


def _advice(status: int) -> str:
    if status in (401, 403):
        return "Check the connector's credentials and what they are allowed to do."
    if status == 429:
        return "The API kept rate-limiting; run fewer requests at once or retry later."
    if status >= 500:
        return "The server failed; the run is safe to retry later if the request was a read."
    return "Fix the request (path, parameters or body); sending it again gives the same answer."


def _with_attempts(error: Exception, attempts: int) -> Exception:
    if isinstance(error, RestHttpError):
        return RestHttpError(
            method=error.method,
            url=error.url,
            status=error.status,
            message=error.message,
            attempts=attempts,
        )
    return type(error)(f"{error} (after {attempts} attempt(s))")


def _connection_failure(error: Exception, method: str, url: str, timeout: float) -> RestError:
    if isinstance(error, requests.Timeout):
        return RestTimeout(
            f"{method} {_path_of(url)} got no answer within {timeout:g} s; raise timeout_seconds "
            "if the server is just slow, or check that it is up"
        )
    return RestConnectionError(
        f"{method} {_origin(url)}{_path_of(url)} failed: {_describe(error)}; check base_url and "
        "that the server is reachable"
    )


def _describe(error: Exception) -> str:
    if isinstance(error, requests.Timeout):
        return "no answer in time"
    return f"connection failed ({type(error).__name__})"


def _never_sent(error: Exception) -> bool:
    """Tell whether the request failed while connecting, before any byte of it was sent."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.SSLError)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _path_of(url: str) -> str:
    """The URL's path only: query strings may hold cursors or filters not meant for logs."""
    return urlsplit(url).path or "/"
