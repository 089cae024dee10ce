"""Where a person is in the conversation (stored as text in the conversations table)."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """Where a person is in the conversation; stored as text."""

    AWAIT_CONSENT = "await_consent"
    IDLE = "idle"
    AWAIT_KIND = "await_kind"
    AWAIT_TEXT = "await_text"
    AWAIT_ATTACHMENTS = "await_attachments"
    AWAIT_LOCALITY = "await_locality"
    AWAIT_GROUP = "await_group"
    CONFIRM = "confirm"
    CONFIRM_ERASE = "confirm_erase"
    # Consultations on drafts (handlers.consultations): a resident choosing a consultation,
    # declaring their group and unit, browsing sections, giving a position and a comment.
    CONSULT_LIST = "consult_list"
    CONSULT_GROUP = "consult_group"
    CONSULT_UNIT = "consult_unit"
    CONSULT_MENU = "consult_menu"
    CONSULT_SECTION = "consult_section"
    CONSULT_COMMENT = "consult_comment"
    # An officer creating one in chat: the header form was accepted, the draft text is awaited.
    CONSULT_DRAFT = "consult_draft"
    CONSULT_CONFIRM = "consult_confirm"


CONSULTING = {
    State.CONSULT_LIST,
    State.CONSULT_GROUP,
    State.CONSULT_UNIT,
    State.CONSULT_MENU,
    State.CONSULT_SECTION,
    State.CONSULT_COMMENT,
    State.CONSULT_DRAFT,
    State.CONSULT_CONFIRM,
}
# States in which /huy has something to cancel.
DRAFTING = {
    State.AWAIT_KIND,
    State.AWAIT_TEXT,
    State.AWAIT_ATTACHMENTS,
    State.AWAIT_LOCALITY,
    State.AWAIT_GROUP,
    State.CONFIRM,
    State.CONFIRM_ERASE,
    *CONSULTING,
}
