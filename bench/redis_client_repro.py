"""A minimal reproduction, for an upstream report, of what a Celery publish costs on Redis.

kombu's Redis transport publishes each message through ``Channel.conn_or_acquire()``, which
makes a new ``redis.Redis`` client for every message (``Channel._create_client``), and
redis-py's ``Redis.__init__`` builds its table of about 165 response callbacks every time. So
each task sent pays for building a client, whose cost this prints beside one LPUSH's.

    python -m bench.redis_client_repro [redis://localhost:6379/15]

Needs a Redis to talk to; it only writes and deletes the key ``repro:queue``. Our own code
works around it (``tasking.nudge_relay``): the web sends one "there is work" task while none
is pending, and a Redis ``SET NX`` otherwise, so a letter costs no publish at all under load.
"""

from __future__ import annotations

import sys
import timeit

import redis
from kombu import Connection


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "redis://localhost:6379/15"
    pool = redis.ConnectionPool.from_url(url)
    client = redis.Redis(connection_pool=pool)
    client.delete("repro:queue")
    n = 2000
    build = timeit.timeit(lambda: redis.Redis(connection_pool=pool), number=n) / n
    lpush = timeit.timeit(lambda: client.lpush("repro:queue", b"x"), number=n) / n
    print(f"redis.Redis(connection_pool=...): {build * 1e6:.0f} µs "
          f"({len(client.response_callbacks)} callbacks built each time)")  # fmt: skip
    print(f"one LPUSH on a reused client:      {lpush * 1e6:.0f} µs")
    with Connection(url) as connection:
        queue = connection.SimpleQueue("repro:queue")
        publish = timeit.timeit(lambda: queue.put(b"x"), number=n) / n
        queue.close()
    print(f"one kombu publish (a new client each): {publish * 1e6:.0f} µs")
    client.delete("repro:queue")


if __name__ == "__main__":
    main()
