"""The read view: the gateway's Marathon apps in memory, fed by Marathon's event stream (an edge)."""

from gateway.read_view.view import ReadView

__all__ = ["ReadView"]
