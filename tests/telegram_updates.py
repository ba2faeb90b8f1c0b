"""The updates Telegram sends to a bot (webhook bodies, ``getUpdates`` results), for tests."""

from __future__ import annotations

import time
from typing import Any

from tests.fake_telegram import bot_user


def user_json(user_id: int, *, language: str = "en", is_bot: bool = False) -> dict[str, Any]:
    """A Telegram user."""
    return {
        "id": user_id,
        "is_bot": is_bot,
        "first_name": f"User{user_id}",
        "language_code": language,
    }


def message_update(
    update_id: int,
    user_id: int,
    text: str,
    *,
    chat_id: int | None = None,
    language: str = "en",
    is_bot: bool = False,
) -> dict[str, Any]:
    """An update with a text message (in the private chat unless ``chat_id`` is a group's)."""
    chat = chat_id if chat_id is not None else user_id
    chat_json = {"id": chat, "type": "private" if chat > 0 else "supergroup"}
    message = {
        "message_id": 100000 + update_id,
        "date": int(time.time()),
        "chat": chat_json,
        "from": user_json(user_id, language=language, is_bot=is_bot),
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": update_id, "message": message}


def callback_update(
    update_id: int, user_id: int, data: str, *, chat_id: int, message_id: int, query_id: str = ""
) -> dict[str, Any]:
    """An update with a button tap on one of the bot's messages."""
    origin = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
        "from": bot_user(),
        "text": "…",
    }
    return {
        "update_id": update_id,
        "callback_query": {
            "id": query_id or f"cq{update_id}",
            "from": user_json(user_id),
            "message": origin,
            "chat_instance": f"ci{chat_id}",
            "data": data,
        },
    }


def file_update(
    update_id: int,
    user_id: int,
    *,
    file_id: str,
    name: str = "",
    size: int = 0,
    photo: bool = False,
    caption: str = "",
    language: str = "en",
) -> dict[str, Any]:
    """An update with a document (or a photo, in two sizes) sent in the private chat."""
    message: dict[str, Any] = {
        "message_id": 100000 + update_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private"},
        "from": user_json(user_id, language=language),
    }
    if photo:
        small = {"file_id": f"{file_id}-s", "file_unique_id": "us", "width": 90, "height": 60}
        large = {"file_id": file_id, "file_unique_id": "ul", "width": 1280, "height": 853}
        message["photo"] = [small, large | {"file_size": size}]
    else:
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": name}
        message["document"] = document | {"file_size": size}
    if caption:
        message["caption"] = caption
    return {"update_id": update_id, "message": message}
