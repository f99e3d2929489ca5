"""The ceiling of our stack: uvicorn (uvloop, httptools) answering fixed bytes, nothing else.

    python -m bench.bare_endpoint PORT BODY_FILE
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import uvicorn


def app_for(body: bytes) -> Any:
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


if __name__ == "__main__":
    port, body_file = int(sys.argv[1]), Path(sys.argv[2])
    uvicorn.run(app_for(body_file.read_bytes()), host="127.0.0.1", port=port, loop="uvloop",
                http="httptools", log_level="warning", lifespan="off")
