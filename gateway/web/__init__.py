"""The web UI under /ui: server-rendered pages over the same services and authentication as the
REST API (see gateway/services.py); a delivery like gateway/api/, thin: parse, call, render."""

from gateway.web.install import install_web, web_state_for

__all__ = ["install_web", "web_state_for"]
