"""Marathon's event stream read as invalidations: the frames, and the apps each event names."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from gateway.read_view.events import EVERY_APP, Event, apps_named, server_sent_events


def frames(text: str) -> list[Event]:
    async def lines() -> AsyncIterator[str]:
        for line in text.split("\n"):
            yield line

    async def collect() -> list[Event]:
        return [event async for event in server_sent_events(lines())]

    return asyncio.run(collect())


def test_frames_are_split_on_blank_lines_with_their_type_and_json_data():
    events = frames('event: event_stream_attached\ndata: {"remoteAddress": "127.0.0.1"}\n\n'
                    ': keep-alive\n\n'
                    'event: app_terminated_event\ndata: {"appId": "/gateway/a"}\n\n')
    assert events == [Event("event_stream_attached", {"remoteAddress": "127.0.0.1"}),
                      Event("app_terminated_event", {"appId": "/gateway/a"})]


def test_a_frame_whose_data_is_not_json_still_arrives_so_the_reader_can_re_read_all():
    [event] = frames("event: status_update_event\ndata: {not json\n\n")
    assert event == Event("status_update_event", {})
    assert apps_named(event) is EVERY_APP


def test_each_event_names_the_apps_it_may_have_changed():
    assert apps_named(Event("status_update_event", {"appId": "/gateway/a"})) == {"/gateway/a"}
    assert apps_named(Event("api_post_event", {"appDefinition": {"id": "/gateway/b"}})) == \
        {"/gateway/b"}
    plan = {"steps": [{"actions": [{"action": "StopApplication", "app": "/gateway/c"}]}]}
    assert apps_named(Event("deployment_success", {"plan": plan})) == {"/gateway/c"}
    assert apps_named(Event("deployment_info", {"plan": {"steps": []}})) is EVERY_APP
    assert apps_named(Event("framework_message_event", {"appId": "/gateway/d"})) == set()
