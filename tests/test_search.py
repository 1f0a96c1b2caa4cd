"""Word search and filters over the bundled data, in English and Khmer."""

import csv
import dataclasses

import pytest

from bot.domain import bundled
from bot.domain.catalog import EmptyQuery, QueryTooLong, SearchRequest
from bot.domain.model import RecNumber, Response, Translation, TranslationStatus
from bot.domain.numbers import parse_numbers
from bot.domain.search import Glossary, SearchIndex, Term, build_terms, english_term
from bot.domain.text import khmer_words, normalize
from bot.services import Services


def numbers(result: object) -> list[str]:
    return [f"{r.cycle}:{r.number}" for r in result.recommendations]  # type: ignore[attr-defined]


def search(services: Services, text: str) -> list[str]:
    catalog = services.catalog
    return numbers(catalog.search(catalog.parse_search(text)))


async def test_bundled_data_is_loaded(services: Services) -> None:
    catalog = services.catalog
    assert len(catalog.recommendations) == 296
    assert catalog.current_cycle == 2
    assert [c.number for c in catalog.cycles] == [1, 2]
    rec = catalog.get(2, RecNumber(118, 6))
    assert rec is not None
    assert rec.text_en.startswith("Ratify the International Convention on the Protection")
    assert [s.key for s in catalog.states_of(rec)] == ["EC"]


async def test_state_spellings_are_one_state(services: Services) -> None:
    catalog = services.catalog
    venezuela = [r for r in catalog.recommendations if any("Venezuela" in s for s in r.states_raw)]
    assert {r.cycle for r in venezuela} == {1, 2}
    assert {s.key for r in venezuela for s in catalog.states_of(r)} >= {"VE"}
    brunei = catalog.search(SearchRequest(state="BN")).recommendations
    assert {r.cycle for r in brunei} == {1, 2}  # "Brunei" (cycle 1) and "Brunei Darussalam"


async def test_english_words_match_stems(services: Services) -> None:
    found = search(services, "trade unions")
    # "labour unions" (118.19) and "trade unionists" (82.54) say the same thing.
    assert sorted(found) == ["1:82.54", "1:82.58", "1:82.59", "2:118.110", "2:118.19"]
    assert search(services, "anything about trade unions?") == found


async def test_prefix_matches_longer_words(services: Services) -> None:
    found = search(services, "ratif")
    assert len(found) == 16  # every text with ratify/ratifying/ratification


async def test_state_and_response_filters_from_words(services: Services) -> None:
    catalog = services.catalog
    request = catalog.parse_search("what did Japan recommend?")
    assert request.state == "JP"
    assert request.text == "what did recommend"
    assert len(catalog.search(request).recommendations) == 5
    noted_land = catalog.search(catalog.parse_search("all noted recommendations on land"))
    assert noted_land.recommendations
    for rec in noted_land.recommendations:
        assert rec.response.counts_as is Response.NOTED
        assert "land" in rec.text_en.lower()


async def test_khmer_state_name_is_a_filter(services: Services) -> None:
    catalog = services.catalog
    request = catalog.parse_search("ជប៉ុន")
    assert request.state == "JP"
    assert len(catalog.search(request).recommendations) == 5


async def test_khmer_glossary_finds_english_texts(services: Services) -> None:
    land_en = set(search(services, "land"))
    land_km = set(search(services, "ដី"))
    assert land_km
    assert land_km <= land_en | set(search(services, "lands"))
    catalog = services.catalog
    result = catalog.search(catalog.parse_search("សិទ្ធិកុមារ"))  # "child rights", no space
    children = numbers(result)[: result.best]
    assert children
    assert not result.partial
    for key in children:
        cycle, number = key.split(":")
        rec = catalog.get(int(cycle), RecNumber.parse(number))
        assert rec is not None
        text = rec.text_en.lower()
        assert "child" in text
        assert "right" in text


async def test_khmer_fillers_are_dropped(services: Services) -> None:
    assert search(services, "អនុសាសន៍ស្តីពីដីធ្លី") == search(services, "ដីធ្លី")
    # Subscript DA and TA are interchangeable in Khmer spelling.
    assert search(services, "អនុសាសន៍ស្ដីពីដីធ្លី") == search(services, "ដីធ្លី")


async def test_cycle_filter(services: Services) -> None:
    found = search(services, "torture c1")
    assert found
    assert all(key.startswith("1:") for key in found)


async def test_partial_results_when_no_text_has_every_word(services: Services) -> None:
    catalog = services.catalog
    result = catalog.search(catalog.parse_search("torture elections"))
    assert result.partial
    assert set(search(services, "torture")) | set(search(services, "elections")) == set(
        numbers(result)
    )


async def test_words_that_match_nothing_are_named_not_dropped(services: Services) -> None:
    catalog = services.catalog
    result = catalog.search(catalog.parse_search("torture zzzzqqq"))
    assert result.unknown == ("zzzzqqq",)
    assert not result.partial
    assert numbers(result) == search(services, "torture")
    khmer = catalog.search(catalog.parse_search("ទារុណកម្មឃ្ញុំងខ្ដ"))
    assert khmer.unknown == ("ឃ្ញុំងខ្ត",)
    assert numbers(khmer) == search(services, "ទារុណកម្ម")


async def test_more_of_the_query_matched_ranks_first(services: Services) -> None:
    catalog = services.catalog
    result = catalog.search(catalog.parse_search("independence judiciary media"))
    assert not result.partial
    first = result.recommendations[: result.best]
    assert [f"{r.cycle}:{r.number}" for r in first] == ["2:118.81"]
    assert len(result.recommendations) > result.best  # those with some words follow


async def test_sql_looking_input_is_just_words(services: Services) -> None:
    catalog = services.catalog
    result = catalog.search(catalog.parse_search("'; DROP TABLE recommendations; --"))
    assert len(result.recommendations) >= 0  # answered, not crashed
    assert len(services.catalog.recommendations) == 296


async def test_empty_and_too_long_queries(services: Services) -> None:
    catalog = services.catalog
    with pytest.raises(EmptyQuery):
        catalog.parse_search("the of ?")
    with pytest.raises(QueryTooLong):
        catalog.parse_search("land " * 2000)


async def test_number_lookup_says_where_else_a_number_exists(services: Services) -> None:
    catalog = services.catalog
    query = parse_numbers("82.32")
    assert query is not None
    result = catalog.lookup(query)
    assert result.cycle == 2
    assert not result.found
    assert result.missing == (RecNumber(82, 32),)
    assert result.elsewhere == {RecNumber(82, 32): (1,)}
    ranged = catalog.lookup(parse_numbers("118.1-118.4"))  # type: ignore[arg-type]
    assert [str(r.number) for r in ranged.found] == ["118.1", "118.2", "118.3", "118.4"]
    big = catalog.lookup(parse_numbers("118.1-119.34"))  # type: ignore[arg-type]
    assert len(big.found) == 50
    assert big.truncated_from == 205


def test_index_matches_two_letter_khmer_words_inside_unspaced_text() -> None:
    index = SearchIndex(
        [
            ("Protect land rights", "ការពារសិទ្ធិដីធ្លីរបស់ប្រជាជន"),
            ("Labour law", "ច្បាប់ការងារ"),
            ("Nothing relevant", ""),
        ]
    )
    glossary = Glossary.build([("ដី", ["land"])], ["របស់"])
    terms = build_terms("ដី", glossary, frozenset())
    assert tuple(index.search(terms).docs) == (0,)
    assert tuple(index.search([Term("x", khmer=frozenset({"ការងារ"}))]).docs) == (1,)
    assert tuple(index.search([Term("x", khmer=frozenset({"ព"}))]).docs) == ()
    # With the glossary, its words are indexed whole (also inside longer glossary words).
    with_terms = SearchIndex(
        [("", "ការពារសិទ្ធិដីធ្លី"), ("", "ដីកាតុលាការ"), ("", "ច្បាប់")], ["ដី", "ដីធ្លី", "តុលាការ"]
    )
    assert tuple(with_terms.search([Term("x", khmer=frozenset({"ដី"}))]).docs) == (0, 1)
    assert tuple(with_terms.search([Term("x", khmer=frozenset({"ដីធ្លី"}))]).docs) == (0,)
    assert tuple(with_terms.search([Term("x", khmer=frozenset({"ច្បាប់"}))]).docs) == (2,)


def test_index_update_replaces_and_adds_one_document_at_once() -> None:
    index = SearchIndex(
        [("Protect land rights", "ការពារសិទ្ធិដីធ្លី"), ("Labour law", "")], ["ដីធ្លី", "ច្បាប់"]
    )
    land = [Term("x", khmer=frozenset({"ដីធ្លី"}))]
    law = [Term("x", khmer=frozenset({"ច្បាប់"}))]
    assert tuple(index.search(land).docs) == (0,)  # a glossary word: its documents remembered
    index.update(1, "Labour law", "ច្បាប់ការងារ និងដីធ្លី")
    assert tuple(index.search(land).docs) == (0, 1)
    assert tuple(index.search(law).docs) == (1,)
    index.update(0, "Fishing rights", "")
    assert tuple(index.search(land).docs) == (1,)
    assert tuple(index.search(build_terms("protect", Glossary(), frozenset())).docs) == ()
    assert tuple(index.search(build_terms("fishing", Glossary(), frozenset())).docs) == (0,)
    index.update(2, "Protect fisheries", "ការពារ")
    assert index.size == 3
    assert tuple(index.search(build_terms("fisher", Glossary(), frozenset())).docs) == (2,)
    with pytest.raises(IndexError):
        index.update(4, "", "")


def test_an_update_keeps_remembered_phrases_and_khmer_words_current() -> None:
    index = SearchIndex(
        [("Protect human rights defenders", "ការពារសិទ្ធិ"), ("Human health", "")],
        ["សិទ្ធិ"],
        ["human rights"],
    )
    rights = [english_term("x", ["human rights"], ["សិទ្ធិ"])]
    assert tuple(index.search(rights).docs) == (0,)
    index.update(1, "Human rights for all", "")
    assert tuple(index.search(rights).docs) == (0, 1)
    index.update(0, "Human dignity, rights", "ការពារ")
    assert tuple(index.search(rights).docs) == (1,)
    index.update(0, "", "សិទ្ធិដី")
    assert tuple(index.search(rights).docs) == (0, 1)


def test_ranked_hits_read_page_by_page_are_the_whole_ranking() -> None:
    index = SearchIndex([(f"land {'water ' * (i % 3)}", "") for i in range(300)])
    hits = index.search(build_terms("land water", Glossary(), frozenset()))
    both = [i for i in range(300) if i % 3]
    expected = both + [i for i in range(300) if i % 3 == 0]  # both words first, then in order
    assert (len(hits.docs), hits.best, hits.partial) == (300, 200, False)
    assert list(hits.docs) == expected
    assert [hits.docs[i] for i in range(300)] == expected
    assert hits.docs[195:205] == tuple(expected[195:205])  # deep, across two buckets
    assert hits.docs[:10] == tuple(expected[:10])
    assert hits.docs[::7] == tuple(expected[::7])
    assert hits.docs[-1] == expected[-1]
    with pytest.raises(IndexError):
        hits.docs[300]


async def test_catalog_update_puts_a_new_khmer_text_in_search_at_once(
    services: Services,
) -> None:
    catalog = services.catalog
    rec = catalog.get(2, RecNumber(118, 6))
    assert rec is not None
    text = "ផ្តល់សេចក្តីក្លាហានដល់អ្នកនេសាទក្នុងតំបន់"
    assert not catalog.search(catalog.parse_search("អ្នកនេសាទ")).recommendations
    translated = dataclasses.replace(
        rec, khmer=Translation(text, TranslationStatus.DRAFT, "someone")
    )
    catalog.update(translated)
    found = catalog.search(catalog.parse_search("អ្នកនេសាទ")).recommendations
    assert [r.id for r in found] == [rec.id]
    assert found[0].khmer == translated.khmer
    assert catalog.get(2, RecNumber(118, 6)) == translated
    assert catalog.by_id[rec.id] == translated
    with pytest.raises(ValueError, match="only the texts"):
        catalog.update(dataclasses.replace(rec, response=Response.NOTED))


def test_icu_splits_an_unspaced_khmer_sentence_into_words() -> None:
    words = khmer_words("សិទ្ធិកុមារនិងការរំលោភបំពានដីធ្លីនៅកម្ពុជា")
    assert words == ("សិទ្ធិ", "កុមារ", "និង", "ការរំលោភ", "បំពាន", "ដីធ្លី", "នៅ", "កម្ពុជា")


def test_glossary_compounds_are_joined_from_dictionary_words() -> None:
    glossary = bundled.load_glossary()
    assert glossary.split(normalize("ពលកម្មកុមារនិងជនជាតិដើមភាគតិច")) == [
        "ពលកម្មកុមារ",
        "និង",
        "ជនជាតិដើមភាគតិច",
    ]
    assert glossary.split(normalize("ដី")) == ["ដី"]  # two letters, still a word
    assert glossary.split(normalize("ដី\u200bធ្លី")) == ["ដីធ្លី"]  # a zero-width space inside


@pytest.mark.parametrize(
    ("variant", "usual"),
    [
        ("ស្រ្តី", "ស្ត្រី"),  # subscript RO typed before subscript TA
        ("អនុសាសន៍ស្ដីពីទារុណកម្ម", "ទារុណកម្ម"),  # subscript DA for TA, fillers dropped
        ("ការទារុណកម្ម", "ទារុណកម្ម"),  # the ការ prefix
        ("សេចក្តីពុករលួយ", "ពុករលួយ"),  # the សេចក្តី prefix
        ("ភាពក្រីក្រ", "ក្រីក្រ"),  # the ភាព prefix
        ("ការបណ្តេញ", "បណ្តេញ"),  # a query without the prefix the glossary has
        ("ដី\u200cធ្លី", "ដីធ្លី"),  # zero-width non-joiner
        ("ស្ត្រី\u200d", "ស្ត្រី"),  # zero-width joiner
        ("ការជំុនុំ", "ការជុំនុំ"),  # NIKAHIT typed before vowel U
    ],
)
async def test_khmer_spelling_variants_find_the_same(
    services: Services, variant: str, usual: str
) -> None:
    assert search(services, variant) == search(services, usual)


async def test_a_state_name_inside_another_word_is_not_a_filter(services: Services) -> None:
    catalog = services.catalog
    request = catalog.parse_search("ការអញ្ជើញជាអចិន្ត្រៃយ៍")  # standing invitation: ចិន inside
    assert request.state is None
    result = catalog.search(request)
    first = result.recommendations[: result.best]
    assert first
    assert all("standing invitation" in r.text_en.lower() for r in first)
    assert catalog.parse_search("ចិន ការអប់រំ").state == "CN"  # a word of its own: a filter


@pytest.mark.parametrize(
    ("query", "state"),
    [("America", "US"), ("USA", "US"), ("អាមេរិក", "US"), ("សហរដ្ឋអាមេរិក", "US"), ("UK", "GB")],
)
async def test_state_aliases_are_filters(services: Services, query: str, state: str) -> None:
    assert services.catalog.parse_search(query).state == state


async def test_english_synonyms_find_the_same_recommendations(services: Services) -> None:
    assert set(search(services, "human trafficking")) == set(
        search(services, "trafficking in persons")
    )
    assert len(search(services, "trafficking in persons")) == 5
    concessions = search(services, "economic land concessions")
    catalog = services.catalog
    result = catalog.search(catalog.parse_search("economic land concessions"))
    assert sorted(concessions[: result.best]) == ["2:118.132", "2:119.30", "2:119.31"]


def test_every_theme_keyword_in_khmer_is_in_the_glossary() -> None:
    glossary = bundled.load_glossary()
    with bundled.THEMES_FILE.open(encoding="utf-8") as handle:
        keywords = {
            normalize(k)
            for row in csv.DictReader(handle)
            for k in row["keywords_km"].split(";")
            if k
        }
    assert {k for k in keywords if glossary.english_of(k) is None} == set()


async def test_khmer_words_made_partly_of_filler_letters_are_searched_whole(
    services: Services,
) -> None:
    catalog = services.catalog
    texts = {
        RecNumber(118, 50): "បង្កើតយន្តការជាតិដើម្បីការពារអ្នកការពារសិទ្ធិមនុស្ស",
        RecNumber(118, 51): "ផ្តល់អំណាចដល់ស្ត្រីក្នុងសហគមន៍",
        RecNumber(118, 52): "ពង្រឹងវិធានការប្រឆាំងនឹងការធ្វើបាបកុមារ",
    }
    ids = {}
    for number, text in texts.items():
        rec = catalog.get(2, number)
        assert rec is not None
        ids[number] = rec.id
        catalog.update(
            dataclasses.replace(rec, khmer=Translation(text, TranslationStatus.DRAFT, "Dara"))
        )

    def found(query: str) -> list[int]:
        return [r.id for r in catalog.search(catalog.parse_search(query)).recommendations]

    # Each was split into the filler it holds (ការ, ណា, ជា) and then dropped: nothing searched.
    assert found("យន្តការ") == [ids[RecNumber(118, 50)]]
    assert found("វិធានការ") == [ids[RecNumber(118, 52)]]
    assert found("អំណាច") == [ids[RecNumber(118, 51)]]
    assert found("ការធ្វើបាប") == [ids[RecNumber(118, 52)]]  # ការ or not, the same
    assert found("ផ្តល់អំណាចដល់ស្ត្រី")[0] == ids[RecNumber(118, 51)]  # every word: first
    # A glued word made of glossary words is still split into them, and a glossary word is
    # still found inside a word the dictionary knows and the glossary does not.
    split = catalog.glossary.split
    assert split(normalize("ការពារសិទ្ធិ")) == ["ការពារ", "សិទ្ធិ"]
    assert split(normalize("ការធ្វើទារុណកម្ម")) == ["ការ", "ទារុណកម្ម"]
    assert split(normalize("ច្បាប់ព្រៃឈើ"))[0] == "ច្បាប់"
    assert split(normalize("កុមារី")) == ["កុមារ"]
    assert found("ការធ្វើទារុណកម្ម") == found("torture")
