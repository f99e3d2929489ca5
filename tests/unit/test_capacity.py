"""Reading the cluster's size and free resources from the Mesos master's state."""

from __future__ import annotations

import pytest

from gateway.errors import InvalidInput
from gateway.models.capacity import Waiting
from gateway.models.common import Hardware
from gateway.translation.capacity import agents_from_state, capacity_view, check_fits_some_agent


def _agent(gpus: float, cpus: float, mem: float, used_gpus: float = 0, used_cpus: float = 0,
           **extra: object) -> dict[str, object]:
    return {"resources": {"gpus": gpus, "cpus": cpus, "mem": mem, "disk": 10000},
            "used_resources": {"gpus": used_gpus, "cpus": used_cpus, "mem": 0, "disk": 0},
            **extra}


STATE = {"slaves": [_agent(1, 8, 32768, used_gpus=1, used_cpus=2), _agent(1, 8, 32768),
                    _agent(0, 4, 8192), _agent(4, 64, 99999, active=False), {"id": "unknown"}]}


def test_a_request_larger_than_every_agent_is_refused_naming_the_field_and_the_largest_agent():
    with pytest.raises(InvalidInput) as refused:
        check_fits_some_agent(Hardware(gpus=2, cpus=1, memory=2048, disk=1024), agents_from_state(STATE))
    assert refused.value.extra["errors"] == [{"field": "hardware.gpus",
                                     "message": "the largest agent has 1 GPU"}]


def test_a_request_each_part_of_which_fits_somewhere_but_not_together_is_refused():
    with pytest.raises(InvalidInput) as refused:
        check_fits_some_agent(Hardware(gpus=1, cpus=8, memory=32768, disk=1024),
                              agents_from_state({"slaves": [_agent(1, 4, 32768), _agent(0, 8, 32768)]}))
    assert refused.value.extra["errors"][0]["field"] == "hardware"


def test_a_request_that_fits_an_agent_even_a_busy_one_passes_and_unknown_sizes_refuse_nothing():
    check_fits_some_agent(Hardware(gpus=1, cpus=8, memory=32768, disk=1024), agents_from_state(STATE))
    check_fits_some_agent(Hardware(gpus=16, cpus=1, memory=2048, disk=1024), agents_from_state({}))


def test_the_view_sums_active_agents_and_groups_them_by_size_with_what_is_free():
    view = capacity_view(agents_from_state(STATE), Waiting(deployments=1, jobs=0))
    assert (view.gpus.total, view.gpus.free) == (2, 1)
    assert (view.cpus.total, view.cpus.free) == (20, 18)
    big, small = view.agents
    assert (big.gpus, big.cpus, big.count, small.count) == (1, 8, 2, 1)
    assert [(f.amount, f.agents) for f in big.free["gpus"]] == [(1, 1), (0, 1)]
    assert view.waiting.deployments == 1
