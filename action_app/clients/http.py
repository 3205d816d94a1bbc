"""One small JSON-over-HTTP helper shared by the outside-service clients.

Every call has a connect and a read timeout. Idempotent GETs (and the bulk POST, which has no side
effects) are retried a bounded number of times with exponential backoff and jitter on connection
errors, timeouts, 429 and 5xx answers; the last failure becomes ``ServiceUnavailable``. Any other
answer is returned for the client to interpret.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "action-app/0.1 (+https://github.com/; supporter action platform)"


class ServiceUnavailable(Exception):
    """The service could not be reached or kept failing; ``reason`` says how, for logs."""

    def __init__(self, service: str, reason: str):
        super().__init__(f"{service} unavailable: {reason}")
        self.service = service
        self.reason = reason


# With a total time limit, an attempt with less than this left is not worth starting.
MIN_ATTEMPT_SECONDS = 0.5


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff_seconds: float = 0.25
    max_backoff_seconds: float = 4.0
    # All attempts and pauses together stay within this, when set: a person is waiting.
    total_seconds: float | None = None

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before attempt number ``attempt + 1`` (full jitter, capped)."""
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), self.max_backoff_seconds)
        ceiling = min(self.backoff_seconds * (2**attempt), self.max_backoff_seconds)
        return random.uniform(ceiling / 2, ceiling)


class JsonHttpClient:
    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        retry: RetryPolicy,
        pool_size: int = 10,
    ):
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.retry = retry
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        # However many threads call in, no more than pool_size requests are in flight at once.
        self._in_flight = threading.BoundedSemaphore(pool_size)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send with timeouts and bounded retries; return the first non-retryable answer."""
        url = self.base_url + path
        last_problem = "no attempt made"
        deadline = time.monotonic() + self.retry.total_seconds if self.retry.total_seconds else None
        for attempt in range(self.retry.attempts):
            retry_after = None
            timeout = self.timeout
            if deadline is not None:
                left = deadline - time.monotonic()
                if left < MIN_ATTEMPT_SECONDS:
                    break
                timeout = (min(self.timeout[0], left), min(self.timeout[1], left))
            try:
                with self._in_flight:
                    response = self.session.request(method, url, timeout=timeout, **kwargs)
            except requests.Timeout:
                last_problem = "timed out"
            except requests.ConnectionError:
                last_problem = "connection failed"
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                last_problem = f"HTTP {response.status_code}"
                retry_after = response.headers.get("Retry-After")
            if attempt + 1 < self.retry.attempts:
                pause = self.retry.delay(attempt, retry_after)
                if deadline is not None and time.monotonic() + pause > deadline:
                    break
                log.info("%s: %s, retrying in %.2fs", self.service, last_problem, pause)
                time.sleep(pause)
        raise ServiceUnavailable(self.service, last_problem)

    def get_json(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        """GET and decode; an answer that is not JSON counts as the service being broken."""
        response = self.request("GET", path, **kwargs)
        return response.status_code, self.decode(response)

    def decode(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ServiceUnavailable(
                self.service, f"HTTP {response.status_code} answer was not JSON"
            ) from None

    def close(self) -> None:
        self.session.close()
