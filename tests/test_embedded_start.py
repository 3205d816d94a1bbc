"""The README's run command: ``action-app start`` on the embedded default, end to end.

It starts the web server and a real worker on the server-less broker; a letter written through
the pages lands in the outbox folder as .eml files, and the count goes up.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from email import message_from_bytes, policy
from html import unescape

import pytest
import requests

from tests.html import _FormParser
from tests.smtp import free_port

pytestmark = pytest.mark.slow


def plain(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def post_form(html: str) -> dict:
    parser = _FormParser()
    parser.feed(html)
    return next(f for f in parser.forms if (f["method"] or "").lower() == "post")


@pytest.fixture
def started(tmp_path, fake_postcodes, fake_members):
    port = free_port()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("REDIS_URL", "DATABASE_URL", "MAIL_SERVER")
        },
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "POSTCODES_IO_URL": fake_postcodes.url,
        "PARLIAMENT_MEMBERS_API_URL": fake_members.url,
        "BOT_MIN_SECONDS": "1",  # a letter continued sooner is held (issue 8 §3)
    }
    env.pop("PUBLIC_BASE_URL", None)
    log = (tmp_path / "start.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "action_app.cli", "start", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    log.close()
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base, tmp_path / "start.log")
        yield base, tmp_path / "instance" / "outbox", tmp_path / "start.log", process
    finally:
        # Even when it never came up: the starter stops its worker and web server on SIGTERM.
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def _wait_until_healthy(base: str, log) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=2).ok:
                return
        except (requests.ConnectionError, requests.Timeout):
            # gunicorn listens before its workers have loaded the app: a request may wait
            time.sleep(0.3)
    pytest.fail(log.read_text())


def test_campaign_page_to_eml_in_the_outbox(started):
    base, outbox, log, process = started
    session = requests.Session()
    page = session.get(base + "/c/deaf-children-debate")
    assert "/" not in page.headers.get("Server", "")  # names no versions to look flaws up by
    assert page.status_code == 200 and "0 people have written" in plain(page.text)
    mp_page = session.get(base + "/c/deaf-children-debate/your-mp", params={"postcode": "ll77 7tw"})
    assert "Your MP is Llinos Medi" in plain(mp_page.text)
    write_url = unescape(
        re.search(r'href="(/c/deaf-children-debate/write\?[^"]+)"', mp_page.text)[1]
    )
    form = post_form(session.get(base + write_url).text)
    fields = {
        **form["fields"],
        "name": "Eve Embedded",
        "email": "eve@example.org",
        "address_line_1": "1 Outbox Road",
        "town": "Llangefni",
        "consent": "y",
    }
    time.sleep(1.1)  # as long as a person takes at least, or the bot check holds the letter
    check = session.post(base + unescape(form["action"]), data=fields)
    assert "Check your letter before sending it" in plain(check.text)
    sent = session.post(check.url, data=post_form(check.text)["fields"])
    assert "Your letter is on its way" in plain(sent.text)

    deadline = time.monotonic() + 60
    files: list = []
    while time.monotonic() < deadline and len(files) < 2:
        files = sorted(outbox.glob("*.eml")) if outbox.exists() else []
        time.sleep(0.2)
    assert len(files) == 2, log.read_text()[-3000:]
    letters = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    to_mp = next(m for m in letters if "llinos.medi.mp@parliament.uk" in str(m["To"]))
    assert to_mp["Reply-To"].addresses[0].addr_spec == "eve@example.org"
    assert "Eve Embedded\n1 Outbox Road\nLlangefni\nLL77 7TW" in to_mp.get_content()

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        counts = session.get(base + "/api/v1/campaigns/deaf-children-debate/count").json()
        if counts["sent"] == 1:
            break
        time.sleep(0.5)
    assert counts == {"slug": "deaf-children-debate", "total": 1, "sent": 1}
    time.sleep(2.1)  # the campaign page's own copy of the count is two seconds old at most
    assert "1 person has written to their MP" in plain(
        session.get(base + "/c/deaf-children-debate").text
    )
    printed = log.read_text()
    assert f"Open {base}/c/deaf-children-debate in your browser." in printed
    assert "Starting gunicorn" in printed and "development server" not in printed

    # SIGTERM to the starter alone, as a service manager sends it: the web server and worker
    # stop in order (no pool process "exited with signal 15" logged as an error), none left.
    children = _children(process.pid)
    assert children, "the starter should have a web server and a worker running"
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=40)
    stopping = log.read_text()[len(printed) :]
    assert "ERROR" not in stopping, stopping
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.2)
    assert not [pid for pid in children if _alive(pid)]


def _children(pid: int) -> list[int]:
    """Every process under ``pid`` (from /proc), the web server's and worker's own included."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if ppid == parent:
                    found.append(int(entry))
                    todo.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
