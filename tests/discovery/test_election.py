"""Who leads, from node names and data exactly as Curator, Mesos and Twitter-commons write them."""

import json

import pytest

from gateway.discovery.election import leader_node, leader_url, select_leader, sequence_of

# Curator's protection prefix makes names sort by UUID, not by age: the sequence decides.
LATCH_A = "_c_f3b0c1d2-9e8f-4a7b-8c6d-5e4f3a2b1c0d-latch-0000000012"
LATCH_B = "_c_0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d-latch-0000000013"
LATCH_C = "_c_77777777-1111-4222-8333-444455556666-latch-0000000009"

MASTER_INFO = {
    "id": "4d7c3a1e-0b2f-4e8a-9c6d-1f2e3d4c5b6a", "ip": 184549386, "port": 5050,
    "pid": "master@10.0.0.11:5050", "hostname": "m1.example.com", "version": "1.9.0",
    "address": {"hostname": "m1.example.com", "ip": "10.0.0.11", "port": 5050},
    "capabilities": [{"type": "AGENT_UPDATE"}, {"type": "QUOTA_V2"}],
}


def test_the_curator_latch_with_the_lowest_sequence_leads_whatever_its_uuid():
    children = [LATCH_A, LATCH_B, LATCH_C]
    data = {LATCH_A: b"marathon-1.example.com:8080", LATCH_B: b"marathon-2.example.com:8080",
            LATCH_C: b"marathon-3.example.com:8080"}
    assert select_leader("curator", children, data) == "http://marathon-3.example.com:8080"


def test_the_sequence_is_read_after_the_last_latch_marker():
    # A UUID can never contain "latch-", but a hand-made id could; Curator reads the last one.
    assert sequence_of("curator", "_c_x-latch-foo-latch-0000000004") == 4
    assert leader_node("curator", ["latch-0000000010", "latch-0000000002"]) == "latch-0000000002"


def test_sequence_numbers_compare_as_numbers_across_the_ten_digit_boundary():
    assert leader_node("mesos", ["json.info_1000000000", "json.info_0999999999"]) == \
        "json.info_0999999999"


def test_children_that_are_not_latches_are_ignored():
    children = ["leader", "_c_abc-lock-0000000001", "latch-12", "latch-00000000x1", LATCH_B]
    assert leader_node("curator", children) == LATCH_B


def test_no_contender_means_no_leader():
    assert leader_node("curator", []) is None
    assert select_leader("curator", ["something-else"], {}) is None


def test_a_leader_with_malformed_data_is_unknown_rather_than_replaced_by_a_standby():
    children = [LATCH_C, LATCH_A]
    data = {LATCH_C: b"not an address", LATCH_A: b"marathon-1.example.com:8080"}
    assert select_leader("curator", children, data) is None


@pytest.mark.parametrize("raw", [b"", b"host", b"host:", b":8080", b"host:http", b"host:0",
                                 b"host:65536", b"http://host:8080", b"ho st:8080", b"\xff\xfe:80"])
def test_malformed_latch_data_gives_no_url(raw):
    assert leader_url("curator", raw) is None


def test_latch_data_is_host_and_port_and_ipv6_literals_are_bracketed():
    assert leader_url("curator", b"chronos-2.example.com:4400") == "http://chronos-2.example.com:4400"
    assert leader_url("curator", b"10.0.0.7:8080\n") == "http://10.0.0.7:8080"
    assert leader_url("curator", b"::1:8080") == "http://[::1]:8080"
    assert leader_url("curator", b"[fe80::1]:8080", scheme="https") == "https://[fe80::1]:8080"


def test_the_oldest_mesos_master_leads_and_log_replicas_is_not_a_master():
    children = ["log_replicas", "json.info_0000000043", "json.info_0000000042", "info_0000000001"]
    other = dict(MASTER_INFO, address={"hostname": "m2", "ip": "10.0.0.12", "port": 5050})
    data = {"json.info_0000000042": json.dumps(MASTER_INFO).encode(),
            "json.info_0000000043": json.dumps(other).encode()}
    assert select_leader("mesos", children, data) == "http://10.0.0.11:5050"


def test_a_mesos_master_without_an_ip_in_its_address_is_reached_by_its_address_hostname():
    info = dict(MASTER_INFO, address={"hostname": "m1.example.com", "port": 5051})
    assert leader_url("mesos", json.dumps(info).encode()) == "http://m1.example.com:5051"


def test_an_old_mesos_master_without_address_falls_back_to_hostname_and_port():
    info = {"id": "x", "ip": 16777343, "port": 5050, "hostname": "m0.example.com"}
    assert leader_url("mesos", json.dumps(info).encode()) == "http://m0.example.com:5050"


def test_a_mesos_master_with_only_a_numeric_ip_is_decoded_from_network_order():
    info = {"id": "x", "ip": 16777343, "port": 5050}
    assert leader_url("mesos", json.dumps(info).encode()) == "http://127.0.0.1:5050"


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b'"master@10.0.0.1:5050"', b'{"id": "x"}',
                                 b'{"address": {"ip": "10.0.0.1"}}',
                                 b'{"address": {"ip": "10.0.0.1", "port": true}}',
                                 b'{"hostname": "m1", "port": 99999}',
                                 b'{"ip": -1, "port": 5050}'])
def test_malformed_master_info_gives_no_url(raw):
    assert leader_url("mesos", raw) is None


def test_marathon_before_1_5_leads_with_the_lowest_twitter_commons_member():
    children = ["member_0000000003", "member_0000000001", "latch-0000000000"]
    data = {"member_0000000001": b"marathon-a:8080", "member_0000000003": b"marathon-b:8080"}
    assert select_leader("twitter-commons", children, data) == "http://marathon-a:8080"
