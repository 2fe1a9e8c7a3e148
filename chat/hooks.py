"""The Slack war room plugs into incidents here (from ChatConfig.ready()): the events that open the room and post
its lines, the timeline entry kind it writes, the note form's "Post to Slack" box and the incident page's panel."""

from incidents.extensions import (
    Event,
    IncidentEvent,
    register_entry_kind,
    register_listener,
    register_note_option,
    register_panel,
)


def _declared(event: IncidentEvent) -> None:
    from chat.services import room_request

    room_request(incident_id=event.incident_id, by_id=event.by_id, now=event.at)


def _entry_added(event: IncidentEvent) -> None:
    from chat.services import entry_posted

    if event.entry_id is not None:
        entry_posted(entry_id=event.entry_id)


def register() -> None:
    from chat import panel, slack
    from chat.services import SHARE_OPTION, SLACK_ENTRY

    register_entry_kind(SLACK_ENTRY, "Slack")
    register_note_option(SHARE_OPTION, "Post to Slack", shown=slack.configured)
    register_panel("chat/_panel.html", panel.context)
    register_listener(Event.DECLARED, _declared)
    register_listener(Event.ENTRY_ADDED, _entry_added)
