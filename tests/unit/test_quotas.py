"""Quotas: what is used plus what is asked must stay within what is allowed, even under races."""

import asyncio

import pytest

from gateway.config import QuotaLimits, Settings
from gateway.errors import QuotaExceeded
from gateway.identity import Identity
from gateway.quota_locks import LocalQuotaLock
from gateway.quotas import Quotas, Usage, check_quota, limits_for
from tests.support.quota_race import Ledger, race

ONE_GPU = Usage(cpus=2, memory=4096, gpus=1, count=1)


def test_a_request_within_the_limits_passes():
    check_quota(QuotaLimits(gpus=2, deployments=2), {"deployments": ONE_GPU}, "deployments",
                ONE_GPU)


def test_the_refusal_says_what_is_used_asked_and_allowed():
    with pytest.raises(QuotaExceeded) as caught:
        check_quota(QuotaLimits(gpus=2), {"deployments": ONE_GPU, "jobs": ONE_GPU},
                    "deployments", ONE_GPU)
    assert caught.value.status == 403
    assert caught.value.detail == ("Your quota does not allow this: 2 of 2 GPUs used, "
                                   "1 more asked.")
    assert caught.value.extra["quota"] == {"gpus": {"used": 2, "asked": 1, "allowed": 2}}


def test_gpus_cpus_and_memory_count_over_every_kind_but_counts_per_kind():
    usage = {"deployments": Usage(cpus=1, memory=1000, count=3), "jobs": Usage(cpus=1, count=5)}
    check_quota(QuotaLimits(deployments=4, jobs=5), usage, "deployments", Usage(cpus=1, count=1))
    with pytest.raises(QuotaExceeded) as caught:
        check_quota(QuotaLimits(cpus=2.5, memory=1500, deployments=3), usage, "deployments",
                    Usage(cpus=1, memory=1000, count=1))
    assert set(caught.value.extra["quota"]) == {"cpus", "memory", "deployments"}


def test_a_cpu_only_request_is_not_refused_for_gpus_already_over_the_limit():
    # An operator lowering a limit must not lock users out of what does not need that resource.
    check_quota(QuotaLimits(gpus=0), {"deployments": ONE_GPU}, "deployments",
                Usage(cpus=1, count=1))


def test_a_member_gets_the_most_generous_of_their_groups():
    default = QuotaLimits(gpus=1, cpus=8, deployments=3)
    by_group = {"gpu-users": QuotaLimits(gpus=4), "big": QuotaLimits(gpus=2, cpus=None),
                "other": QuotaLimits(gpus=99)}
    assert limits_for({"gpu-users", "big"}, default, by_group) == QuotaLimits(
        gpus=4, cpus=None, deployments=3)
    assert limits_for({"nobody"}, default, by_group) == default


def test_twenty_concurrent_requests_cannot_overshoot_the_gpu_quota():
    ledger = Ledger()
    quotas = Quotas(Settings(quota_gpus=3), LocalQuotaLock())
    quotas.register_usage("deployments", ledger.usage)
    alice = Identity(subject="alice", issuer="https://iam.example.org/")
    admitted = asyncio.run(race([quotas], ledger, alice, 20))
    assert admitted == 3
    assert sum(u.gpus for u in ledger.items[alice.owner]) == 3


def test_without_a_lock_the_same_race_overshoots():
    # The control experiment: proves the race above is real, so the lock is what prevents it.
    class NoLock(LocalQuotaLock):
        def hold(self, owner):
            import contextlib

            return contextlib.AsyncExitStack()

    ledger = Ledger()
    quotas = Quotas(Settings(quota_gpus=3), NoLock())
    quotas.register_usage("deployments", ledger.usage)
    bob = Identity(subject="bob", issuer="https://iam.example.org/")
    assert asyncio.run(race([quotas], ledger, bob, 20)) > 3


def test_group_limits_apply_to_members():
    settings = Settings(quota_gpus=0, quota_groups={"gpu": {"gpus": 1}})
    quotas = Quotas(settings, LocalQuotaLock())
    member = Identity(subject="m", issuer="https://iam.example.org/", groups=frozenset({"gpu"}))
    assert quotas.limits(member).gpus == 1
    assert quotas.limits(Identity(subject="n", issuer="https://iam.example.org/")).gpus == 0
