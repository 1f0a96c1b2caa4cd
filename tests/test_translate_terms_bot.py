"""/translate's glossary hints: one agreed Khmer term per English term of the text, the
longest phrase over the words it holds; searches keep every synonym."""

from bot.domain import bundled
from bot.domain.translations import glossary_terms
from handlers.common import BotApplication
from tests.fake_telegram import FakeTelegram
from tests.test_translations_bot import GUEST, KHMER_COORDINATOR

COVENANT = "កតិកាសញ្ញាអន្តរជាតិស្តីពីសិទ្ធិពលរដ្ឋ និងសិទ្ធិនយោបាយ"


async def test_translate_shows_one_agreed_khmer_term_per_english_term(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    task = await tg.reply_to(KHMER_COORDINATOR, "/translate")
    assert "<b>118.1</b>" in task.text  # the two Optional Protocols to the ICCPR
    hints = task.text.split("ពាក្យបច្ចេកទេសក្នុងអត្ថបទនេះ៖\n")[1].split("\n\n")[0].split("\n")
    assert hints == [
        "• ratify → សច្ចាប័ន",
        "• optional protocol → ពិធីសារបន្ថែម",
        f"• international covenant on civil and political rights → {COVENANT}",
    ]
    # Searching keeps every synonym: the other spelling still finds it.
    found = await tg.reply_to(GUEST, "ពិធីសារជម្រើស")
    assert "118.1" in found.text


def test_a_word_gets_its_rows_first_khmer_spelling_and_a_phrase_wins_over_its_words() -> None:
    glossary = bundled.load_glossary()
    assert glossary_terms("Protect workers and their trade unions", glossary) == (
        ("protect", "ការការពារ"),
        ("workers", "កម្មករ"),  # not ពលករ or កម្មករនិយោជិត as well
        ("trade unions", "សហជីព"),
    )
    migrants = "the rights of all migrant workers and members of their families"
    assert glossary_terms(migrants, glossary) == (
        ("rights", "សិទ្ធិ"),
        (migrants.removeprefix("the rights of all "), "ពលករចំណាកស្រុក និងសមាជិកគ្រួសាររបស់ពួកគេ"),
    )
