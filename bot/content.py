"""Telegram plumbing: one outbox Content sent as one message, as its recipients get it."""

from __future__ import annotations

from typing import Any

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
)

from bot.domain.outbox import Content

CAPTION_LIMIT = 1024  # Telegram's limit on a photo's caption


async def send_content(
    bot: Bot,
    chat_id: int,
    content: Content,
    topic: int | None = None,
    picture: bytes | str | None = None,
) -> Message:
    """Send the content (text with entities or HTML, or a photo or document with a caption,
    its buttons or a reply field, silent or not): the outbox's sender sends exactly this, and a
    broadcast's preview shows it. `picture` (a PNG, or the file_id of one sent before) is sent
    as a photo with the text as its caption, or, when the text is too long for a caption, the
    photo and then the text; the photo's message is returned."""
    markup: InlineKeyboardMarkup | ForceReply | None = None
    if content.buttons:
        markup = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(b.label, callback_data=b.data, url=b.url) for b in row]
                for row in content.buttons
            ]
        )
    elif content.force_reply is not None:  # the recipient is asked to reply (a reason prompt)
        markup = ForceReply(input_field_placeholder=content.force_reply[:64] or None)
    entities = (
        [MessageEntity.de_json(e, bot) for e in content.entities]
        if content.entities is not None
        else None
    )
    common: dict[str, Any] = {
        "message_thread_id": topic,
        "reply_markup": markup,
        "disable_notification": content.silent,
    }
    if entities is not None:
        common["parse_mode"] = None  # the coordinator's own formatting, not HTML
    if picture is not None and len(content.text) > CAPTION_LIMIT:
        sent = await bot.send_photo(
            chat_id, picture, message_thread_id=topic, disable_notification=content.silent
        )
        await bot.send_message(chat_id, content.text, entities=entities, **common)
        return sent
    photo = picture if picture is not None else content.photo
    if photo is not None:
        return await bot.send_photo(
            chat_id,
            photo,
            caption=content.text or None,
            caption_entities=entities,
            **common,
        )
    if content.document is not None:
        return await bot.send_document(
            chat_id,
            content.document,
            caption=content.text or None,
            caption_entities=entities,
            **common,
        )
    return await bot.send_message(chat_id, content.text, entities=entities, **common)
