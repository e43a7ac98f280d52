"""In-memory world of the emulator: users, chats, members, topics, messages, files.

Everything is plain typed dataclasses with no I/O, so both the Bot API side
(`methods/`) and the user side (`client.py`, `control.py`) mutate one model and
`render.py` turns it into Bot API JSON. Messages keep *structured* content
(file ids, invoice data, raw markup) rather than pre-rendered dicts so that
edits, deletions and the bot/user views stay consistent.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field, fields
from typing import Any, Literal

ChatType = Literal["private", "group", "supergroup"]
MemberStatus = Literal["creator", "administrator", "member", "restricted", "left", "kicked"]
FileKind = Literal["photo", "document", "video", "animation", "audio", "voice", "sticker"]

# The six colours Telegram allows for forum topic icons (createForumTopic).
TOPIC_ICON_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)

# Telegram's id of the "General" topic of a forum; Bot API messages in General
# carry no message_thread_id, but sending with thread id 1 targets it.
GENERAL_TOPIC_ID = 1


# How far the emulated world's clock runs ahead of the system's (the sandbox moves
# its clock forward: the messages' dates follow it). One emulated world a process.
_clock_offset_s = 0


def set_clock_offset(seconds: int) -> None:
    global _clock_offset_s
    _clock_offset_s = int(seconds)


def now() -> int:
    """Unix time as Telegram reports it (whole seconds)."""
    return int(time.time()) + _clock_offset_s


def random_id(prefix: str = "", nbytes: int = 24) -> str:
    """A Telegram-looking opaque identifier (file ids, query ids, charge ids)."""
    return prefix + secrets.token_urlsafe(nbytes)


@dataclass
class User:
    """A Telegram account: an emulated person (or the bot itself)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    # True once the user has a private chat with the bot (pressed Start);
    # otherwise the bot gets "Forbidden: bot can't initiate conversation".
    started: bool = True
    blocked_bot: bool = False
    deactivated: bool = False
    phone_number: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass
class AdminRights:
    """Administrator rights, field names as in ChatMemberAdministrator."""

    can_manage_chat: bool = True
    can_delete_messages: bool = True
    can_manage_video_chats: bool = True
    can_restrict_members: bool = True
    can_promote_members: bool = False
    can_change_info: bool = True
    can_invite_users: bool = True
    can_post_stories: bool = False
    can_edit_stories: bool = False
    can_delete_stories: bool = False
    can_send_welcome_messages: bool = False
    can_pin_messages: bool = True
    can_manage_topics: bool = True
    is_anonymous: bool = False
    can_be_edited: bool = False

    @classmethod
    def from_dict(cls, values: dict[str, bool] | None) -> AdminRights:
        """Build rights from a partial dict; unknown keys are a caller bug."""
        known = {f.name for f in fields(cls)}
        unknown = set(values or {}) - known
        if unknown:
            raise ValueError(f"unknown admin rights: {sorted(unknown)}")
        return cls(**(values or {}))

    def to_dict(self) -> dict[str, bool]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class Member:
    """A user's membership in a group."""

    user_id: int
    status: MemberStatus = "member"
    rights: AdminRights | None = None
    custom_title: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.status in ("creator", "administrator")

    @property
    def is_present(self) -> bool:
        return self.status in ("creator", "administrator", "member", "restricted")


@dataclass
class Topic:
    """A forum topic; its id is the id of its forum_topic_created message."""

    thread_id: int
    name: str
    icon_color: int = TOPIC_ICON_COLORS[0]
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    created_by: int = 0


@dataclass
class StoredFile:
    """Bytes behind a file_id (one PhotoSize, document, video, ...)."""

    file_id: str
    file_unique_id: str
    kind: FileKind
    data: bytes
    file_path: str
    mime_type: str | None = None
    file_name: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None
    # For photos: file ids of all PhotoSizes of the same photo, smallest first,
    # so re-sending any size by file_id yields the whole photo like Telegram.
    photo_set: list[str] | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class InvoiceData:
    """What sendInvoice / createInvoiceLink stored, kept for paying later."""

    title: str
    description: str
    payload: str
    currency: str
    prices: list[dict[str, Any]]
    provider_token: str = ""
    start_parameter: str = ""
    options: dict[str, Any] = field(default_factory=dict)  # need_name, photo_url, ...
    link_slug: str | None = None

    @property
    def total_amount(self) -> int:
        return sum(int(p["amount"]) for p in self.prices)


@dataclass
class Message:
    """One message as stored; `render.py` produces its Bot API JSON."""

    chat_id: int
    message_id: int
    date: int
    from_id: int | None
    thread_id: int | None = None
    is_topic_message: bool = False
    text: str | None = None
    entities: list[dict[str, Any]] | None = None
    caption: str | None = None
    caption_entities: list[dict[str, Any]] | None = None
    # Source text and parse_mode exactly as the bot sent them (debugging aid).
    raw_text: str | None = None
    parse_mode: str | None = None
    photo: list[str] | None = None  # file ids of the PhotoSizes, smallest first
    document: str | None = None
    video: str | None = None
    contact: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    invoice: InvoiceData | None = None
    successful_payment: dict[str, Any] | None = None
    # Service payloads rendered verbatim: forum_topic_created, new_chat_members, ...
    service: dict[str, Any] = field(default_factory=dict)
    pinned_message_id: int | None = None
    reply_to: int | None = None
    # As sent; the bot-facing JSON only shows inline keyboards (as Telegram does).
    reply_markup: dict[str, Any] | None = None
    media_group_id: str | None = None
    forward_origin: dict[str, Any] | None = None
    has_protected_content: bool = False
    edit_date: int | None = None
    deleted: bool = False

    @property
    def has_media(self) -> bool:
        return bool(self.photo or self.document or self.video)


@dataclass
class Chat:
    """A private chat (id == user id) or a (super)group."""

    id: int
    type: ChatType
    title: str | None = None
    is_forum: bool = False
    members: dict[int, Member] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    next_message_id: int = 1
    pinned: list[int] = field(default_factory=list)  # most recent last
    # The reply keyboard currently shown to users (ReplyKeyboardMarkup dict).
    reply_keyboard: dict[str, Any] | None = None
    menu_button: dict[str, Any] | None = None
    invite_links: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Telegram's opaque per-chat token that callback queries carry.
    chat_instance: str = field(default_factory=lambda: str(secrets.randbits(62)))

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def new_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def live_messages(self) -> list[Message]:
        return [m for m in self.messages.values() if not m.deleted]


@dataclass
class CallbackRecord:
    """A callback query sent to the bot and, once answered, the answer."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    answered: bool = False
    answer: dict[str, Any] | None = None


@dataclass
class PreCheckoutRecord:
    """A pre-checkout query awaiting answerPreCheckoutQuery."""

    id: str
    user_id: int
    invoice: InvoiceData
    chat_id: int
    answered: bool = False
    ok: bool | None = None
    error_message: str | None = None


@dataclass
class Payment:
    """A completed payment (for refunds and assertions)."""

    user_id: int
    chat_id: int
    currency: str
    total_amount: int
    payload: str
    telegram_payment_charge_id: str
    provider_payment_charge_id: str
    refunded: bool = False


@dataclass
class WebhookConfig:
    """State behind setWebhook / getWebhookInfo."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class BotIdentity:
    """The single bot this emulator instance serves."""

    id: int
    first_name: str
    username: str
    can_join_groups: bool = True
    can_read_all_group_messages: bool = False
    supports_inline_queries: bool = False


@dataclass
class World:
    """The whole emulated Telegram, for one bot."""

    bot: BotIdentity
    users: dict[int, User] = field(default_factory=dict)
    chats: dict[int, Chat] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    callbacks: dict[str, CallbackRecord] = field(default_factory=dict)
    pre_checkouts: dict[str, PreCheckoutRecord] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    invoice_links: dict[str, InvoiceData] = field(default_factory=dict)
    # setMyCommands storage keyed by (canonical scope JSON, language_code).
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    default_menu_button: dict[str, Any] = field(default_factory=lambda: {"type": "commands"})
    bot_texts: dict[tuple[str, str], str] = field(default_factory=dict)  # setMyName etc.
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    next_file_number: int = 1
