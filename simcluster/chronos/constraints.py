"""Chronos placement constraints (``ConstraintChecker``): ``[attribute, op, value]`` with
``EQUALS``, ``LIKE`` and ``UNLIKE`` (regular expressions, full match); ``hostname`` is
synthesized from the agent's host name.

The simulated master places tasks itself and knows no constraints, so Chronos only holds a
job back while *no* agent could satisfy them (the task then stays queued, as with offers that
never match); which agent runs it is the master's choice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from simcluster.mesos import Agent


def constraints_satisfiable(constraints: Iterable[tuple[str, str, str]], agents: Iterable[Agent]) -> bool:
    rules = list(constraints)
    if not rules:
        return True
    return any(all(_matches(agent, rule) for rule in rules) for agent in agents)


def _matches(agent: Agent, rule: tuple[str, str, str]) -> bool:
    attribute, operator, value = rule
    actual = agent.hostname if attribute == "hostname" else agent.attributes.get(attribute)
    try:
        if operator == "EQUALS":
            return actual == value
        if operator == "LIKE":
            return actual is not None and re.fullmatch(value, actual) is not None
        if operator == "UNLIKE":
            return actual is None or re.fullmatch(value, actual) is None
    except re.error:
        return False
    return False
