"""What a workload records of its creator: a readable, bounded name, and quota groups."""

from gateway.identity import Identity
from gateway.translation.owner_record import (
    OWNER_NAME_MAX,
    clean_name,
    display_name,
    groups_from,
    groups_text,
)

ISSUER = "https://iam.example.org/"


def test_the_name_is_the_tokens_name_else_the_username_else_the_email():
    assert display_name(Identity("s", ISSUER, name="Ada Lovelace", username="ada",
                                 email="ada@example.org")) == "Ada Lovelace"
    assert display_name(Identity("s", ISSUER, name="  ", username="ada",
                                 email="ada@example.org")) == "ada"
    assert display_name(Identity("s", ISSUER, email="ada@example.org")) == "ada@example.org"
    assert display_name(Identity("s", ISSUER)) is None


def test_a_name_is_one_line_without_control_characters_and_bounded():
    assert clean_name("Ada\n\tLovelace\u202e\x00 ") == "Ada Lovelace"
    assert clean_name("\x1b[31m") == "[31m"
    assert len(clean_name("x" * 1000) or "") == OWNER_NAME_MAX
    assert clean_name(42) is None and clean_name("\n") is None


def test_quota_groups_read_back_as_written_and_anything_else_as_none():
    assert groups_from(groups_text({"vo/gpu", "a,b"})) == {"vo/gpu", "a,b"}
    assert groups_from(["deep", 3]) == {"deep"}
    assert groups_from("not json") == frozenset() and groups_from({"deep": 1}) == frozenset()
