"""ZooKeeper connection strings as operators copy them from Mesos, Marathon and Chronos flags."""

import pytest

from gateway.ensemble import parse_ensemble


def test_a_plain_host_list_keeps_every_server_and_no_chroot():
    ensemble = parse_ensemble("zk1.example.org:2181, zk2.example.org:2182")
    assert ensemble.servers == (("zk1.example.org", 2181), ("zk2.example.org", 2182))
    assert ensemble.chroot == ""
    assert ensemble.kazoo_hosts == "zk1.example.org:2181,zk2.example.org:2182"


def test_a_zk_url_with_several_hosts_and_a_chroot_is_accepted():
    ensemble = parse_ensemble("zk://h1:2181,h2:2181/prod/cluster/")
    assert ensemble.servers == (("h1", 2181), ("h2", 2181))
    assert ensemble.chroot == "/prod/cluster"
    assert ensemble.kazoo_hosts == "h1:2181,h2:2181/prod/cluster"


def test_credentials_in_the_url_become_a_digest_and_are_not_shown():
    ensemble = parse_ensemble("zk://gateway:s%40cret@h1:2181/mesos")
    assert ensemble.digest == "gateway:s@cret"
    assert "cret" not in ensemble.describe()


def test_a_missing_port_means_the_zookeeper_default_and_ipv6_needs_brackets():
    assert parse_ensemble("h1").servers == (("h1", 2181),)
    ensemble = parse_ensemble("[::1]:2181,[fe80::2]")
    assert ensemble.servers == (("::1", 2181), ("fe80::2", 2181))
    assert ensemble.kazoo_hosts == "[::1]:2181,[fe80::2]:2181"


@pytest.mark.parametrize("text", ["", "h1:2181,,h2:2181", "h1:port", "h1:0", "http://h1:2181",
                                  "::1:2181", "zk://:pw@h1:2181", "h1:2181//x"])
def test_a_malformed_connection_string_is_refused_with_a_reason(text):
    with pytest.raises(ValueError, match=r"\S"):
        parse_ensemble(text)
