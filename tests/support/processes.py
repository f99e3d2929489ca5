"""Stopping the real services tests and benches start (Apache, HAProxy, ZooKeeper, the OpenID
provider, bench servers)."""

from __future__ import annotations

import subprocess


def stop_process(process: subprocess.Popen[bytes] | subprocess.Popen[str],
                 timeout: float = 10.0) -> None:
    """SIGTERM (each of them stops cleanly on it), SIGKILL after ``timeout`` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
