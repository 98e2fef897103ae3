"""Running the app under uvicorn."""

from __future__ import annotations

import uvicorn

from cxloop.config import Settings
from cxloop.web.app import create_app


def serve_forever(settings: Settings, host: str, port: int, *, run_worker: bool | None = None) -> None:
    announce_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - only compared
    app = create_app(settings, run_worker=run_worker, base_url=f"http://{announce_host}:{port}")
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False, server_header=False)
