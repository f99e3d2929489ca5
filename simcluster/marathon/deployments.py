"""Deployment plans: what ``/v2/deployments`` lists and what locks an app."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Deployment:
    app_id: str
    version: str
    actions: list[str]  # one step per action: StartApplication, ScaleApplication, ...
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    current_step: int = 1

    def to_json(self) -> dict[str, Any]:
        steps = [{"actions": [{"action": a, "app": self.app_id}]} for a in self.actions]
        current = self.actions[self.current_step - 1]
        return {
            "id": self.id,
            "version": self.version,
            "affectedApps": [self.app_id],
            "affectedPods": [],
            "steps": steps,
            "currentActions": [
                {"action": current, "app": self.app_id, "readinessCheckResults": []}
            ],
            "currentStep": self.current_step,
            "totalSteps": len(self.actions),
        }

    def event_plan(self) -> dict[str, Any]:
        steps = [{"actions": [{"action": a, "app": self.app_id}]} for a in self.actions]
        return {"id": self.id, "version": self.version, "steps": steps}

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "app_id": self.app_id, "version": self.version,
                "actions": self.actions, "current_step": self.current_step}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Deployment:
        return cls(record["app_id"], record["version"], list(record["actions"]),
                   id=record["id"], current_step=int(record["current_step"]))
