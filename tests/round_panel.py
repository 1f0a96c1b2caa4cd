"""Test helpers for the round panel in /rounds: open a round's panel, answer its questions."""

from tests.conftest import COORDINATOR
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, buttons, edited, press

Person = dict  # type: ignore[type-arg]


def labels(message: StoredMessage) -> list[str]:
    return [b["text"] for b in buttons(message)]


async def round_panel(
    tg: FakeTelegram,
    round_id: int,
    user: Person = COORDINATOR,
    chat: Person | None = None,
) -> StoredMessage:
    """/rounds, then the round's button: the listing redrawn as that round's panel."""
    listing = await tg.reply_to(user, "/rounds", chat=chat)
    khmer = str(round_id).translate(str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩"))
    [label] = [t for t in labels(listing) if t.startswith((f"{round_id}. ", f"{khmer}. "))]
    assert await press(tg, listing, button(listing, label), user) == ""
    return await edited(tg, listing)


async def confirmed(
    tg: FakeTelegram, panel: StoredMessage, action: str, yes: str, user: Person = COORDINATOR
) -> tuple[str, StoredMessage]:
    """Press a panel's button, then the question's `yes`: (the answer, the panel redrawn)."""
    assert await press(tg, panel, button(panel, action), user) == ""
    question = await edited(tg, panel)
    answer = await press(tg, question, button(question, yes), user)
    return answer, await edited(tg, question)
