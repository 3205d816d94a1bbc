"""Where the time goes: py-spy samples of running processes, summarised as text for the report."""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import sys
from pathlib import Path

# Frames from these places are the ones worth reading in a summary.
INTERESTING = (
    "action_app/",
    "workers/",
    "flask/app.py",
    "wtforms/form.py",
    "flask/sessions.py",
    "sqlalchemy/orm/session.py",
    "psycopg/connection.py",
    "celery/app/base.py",
    "celery/app/trace.py",
    "kombu/messaging.py",
    "smtplib.py",
    "email/message.py",
    "gunicorn/workers/sync.py",
)


class Sampler:
    """py-spy on several processes at once, for ``seconds``; ``summary()`` when they finish."""

    def __init__(self, name: str, pids: list[int], seconds: int, folder: Path):
        self.name = name
        self.files = [folder / f"profile-{name}-{pid}.txt" for pid in pids]
        self.processes = []
        # py-spy comes with the "bench" extra, so it may sit beside this Python.
        beside = Path(sys.executable).parent / "py-spy"
        py_spy = shutil.which("py-spy") or (str(beside) if beside.exists() else None)
        if py_spy is None or not pids:
            return
        for pid, path in zip(pids, self.files, strict=True):
            command = [py_spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate",
                       "200", "--format", "raw", "--nonblocking", "-o", str(path)]  # fmt: skip
            self.processes.append(
                subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )

    def summary(self, lines: int = 22) -> str:
        for process in self.processes:
            process.wait()
        own, cumulative, total = collections.Counter(), collections.Counter(), 0
        for path in self.files:
            if not path.exists():
                continue
            for line in path.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                if not count.isdigit():
                    continue
                samples = int(count)
                total += samples
                frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
                own[frames[-1]] += samples
                for frame in set(frames):
                    cumulative[frame] += samples
        if not total:
            return f"### {self.name}\n\n(no samples: is py-spy installed and allowed?)\n"
        rows = [f"### {self.name}: {total} samples", "", "Own time (top frames):", "```"]
        rows += [f"{n / total:6.1%}  {frame}" for frame, n in own.most_common(12)]
        rows += ["```", "", "Including callees (our code and the main libraries):", "```"]
        picked = [
            (f, n) for f, n in cumulative.most_common(400) if any(k in f for k in INTERESTING)
        ]
        rows += [f"{n / total:6.1%}  {frame}" for frame, n in picked[:lines]]
        rows += ["```", ""]
        return "\n".join(rows)
