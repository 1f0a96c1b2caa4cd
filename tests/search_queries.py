"""A Khmer query test set: what Khmer-speaking members type, the same asked in English, and the
recommendations each must find (judged from the catalogue's English texts, cycles 1-2)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Query:
    """A Khmer query, its English equivalent, and what must be found.

    `must_find` is a regular expression over the English text (case-insensitive); `state` and
    `cycle` narrow what must be found to one recommending State or cycle.
    """

    khmer: str
    english: str
    must_find: str = ""
    state: str | None = None
    cycle: int | None = None


QUERIES = (
    # Single words and terms.
    Query("ដីធ្លី", "land", r"\bland"),
    Query("ដី", "land", r"\bland"),
    Query("សម្បទានដីសេដ្ឋកិច្ច", "economic land concessions", r"concession"),
    Query("ការបណ្តេញចេញដោយបង្ខំ", "forced evictions", r"evict"),
    Query("ការបណ្តេញចេញ", "evictions", r"evict"),
    Query("ការតាំងទីលំនៅថ្មី", "resettlement", r"resettle|relocat"),
    Query("ការប្រែប្រួលអាកាសធាតុ", "climate change", r"climate"),
    Query("ធនធានធម្មជាតិ", "natural resources", r"natural resource"),
    Query("សហជីព", "trade unions", r"trade union|labour union"),
    Query("ពលកម្មកុមារ", "child labour", r"child labour"),
    Query("ចំណាកស្រុក", "migrants", r"migrant"),
    Query("កុមារ", "children", r"\bchild"),
    Query("ស្ត្រី", "women", r"\bwom[ae]n\b"),
    Query("អំពើហិង្សាក្នុងគ្រួសារ", "domestic violence", r"domestic violence"),
    Query("ជួញដូរមនុស្ស", "human trafficking", r"traffick"),
    Query("ជនពិការ", "persons with disabilities", r"disab"),
    Query("សុខាភិបាល", "health care", r"health"),
    Query("សុខភាព", "health", r"health"),
    Query("អេដស៍", "HIV", r"\bhiv\b"),
    Query("ការអប់រំ", "education", r"educat"),
    Query("ភាពក្រីក្រ", "poverty", r"poverty"),
    Query("ទារុណកម្ម", "torture", r"tortur"),
    Query("នគរបាល", "police", r"police"),
    Query("ពន្ធនាគារ", "prisons", r"\bprisons?\b"),
    Query("ការឃុំខ្លួន", "detention", r"detention"),
    Query("តុលាការ", "courts", r"\bcourts?\b"),
    Query("ចៅក្រម", "judges", r"\bjudges?\b"),
    Query("និទណ្ឌភាព", "impunity", r"impunity"),
    Query("ខ្មែរក្រហម", "Khmer Rouge", r"khmer rouge|extraordinary chambers"),
    Query("អង្គជំនុំជម្រះវិសាមញ្ញ", "Extraordinary Chambers", r"extraordinary chambers"),
    Query("ការបង្ខំឲ្យបាត់ខ្លួន", "enforced disappearance", r"disappearance"),
    Query("សេរីភាពនៃការបញ្ចេញមតិ", "freedom of expression", r"freedom of (expression|opinion)"),
    Query("ការប្រមូលផ្តុំ", "assembly", r"\bassembl(y|ies)\b"),
    Query("បាតុកម្ម", "demonstrations", r"demonstrat"),
    Query("សមាគម", "associations", r"associat"),
    Query("អង្គការមិនមែនរដ្ឋាភិបាល", "non-governmental organizations", r"non-governmental|\bngos?\b"),
    Query("អង្គការសង្គមស៊ីវិល", "civil society", r"civil society"),
    Query("អ្នកការពារសិទ្ធិមនុស្ស", "human rights defenders", r"human rights defender"),
    Query("អ្នកសារព័ត៌មាន", "journalists", r"journalist"),
    Query("ប្រព័ន្ធផ្សព្វផ្សាយ", "media", r"\bmedia\b"),
    Query("អ៊ីនធឺណិត", "internet", r"internet"),
    Query("ការបរិហារកេរ្តិ៍", "defamation", r"defamation"),
    Query("អំពើពុករលួយ", "corruption", r"corruption"),
    Query("ក្រមព្រហ្មទណ្ឌ", "penal code", r"penal code|criminal code"),
    Query("រដ្ឋធម្មនុញ្ញ", "constitution", r"constitution"),
    Query("ការបោះឆ្នោត", "elections", r"election|electoral"),
    Query("គណបក្សនយោបាយ", "political parties", r"political part(y|ies)"),
    Query("ជនជាតិដើមភាគតិច", "indigenous peoples", r"indigenous"),
    Query("ជនជាតិភាគតិច", "minorities", r"minorit"),
    Query("សច្ចាប័ន", "ratification", r"ratif"),
    Query("ពិធីសារបន្ថែម", "optional protocol", r"optional protocol"),
    Query("អ្នករាយការណ៍ពិសេស", "special rapporteur", r"special rapporteur"),
    Query("ការអញ្ជើញជាអចិន្ត្រៃយ៍", "standing invitation", r"standing invitation"),
    Query("ស្ថាប័នសិទ្ធិមនុស្សជាតិ", "national human rights institution", r"human rights institution"),
    Query("ការរើសអើង", "discrimination", r"discriminat"),
    Query("ការចុះបញ្ជីកំណើត", "birth registration", r"birth registration"),
    Query("លំនៅឋាន", "housing", r"housing"),
    Query("យេនឌ័រ", "gender", r"\bgender"),
    Query("ពេស្យាចារ", "prostitution", r"prostitution"),
    Query("នីតិរដ្ឋ", "rule of law", r"rule of law"),
    # Spelling variants: stacked consonants, subscript DA for TA, prefixes, zero-width spaces.
    Query("ស្រ្តី", "women", r"\bwom[ae]n\b"),
    Query("អនុសាសន៍ស្ដីពីដីធ្លី", "recommendations about land", r"\bland"),
    Query("ទារុណកម្ម\u200bនិង\u200bពន្ធនាគារ", "torture and prisons", r"(?=.*tortur)(?=.*prison)"),
    Query("ក្រីក្រ", "poor", r"poverty|\bpoor\b"),
    Query("ពុករលួយ", "corruption", r"corruption"),
    Query("ការជួញដូរមនុស្ស", "trafficking in persons", r"traffick"),
    Query("សេរីភាពបញ្ចេញមតិ", "freedom of expression", r"freedom of (expression|opinion)"),
    # Phrases without spaces and questions.
    Query(
        "សិទ្ធិកុមារនិងការអប់រំ",
        "children's rights and education",
        r"(?=.*\bchild)(?=.*\bright)(?=.*educat)",
    ),
    Query("តើជប៉ុនបានផ្តល់អនុសាសន៍អ្វីខ្លះ?", "what did Japan recommend?", state="JP"),
    Query("អនុសាសន៍របស់បារាំង", "recommendations from France", state="FR"),
    Query("អាមេរិក", "America", state="US"),
    Query("តើមានអនុសាសន៍អ្វីខ្លះស្តីពីទារុណកម្ម?", "what recommendations on torture?", r"tortur"),
    Query("កំណែទម្រង់តុលាការ", "judicial reform", r"(?=.*judicia)(?=.*reform)"),
    Query("អំពើហិង្សាផ្លូវភេទ", "sexual violence", r"sexual violence"),
    Query(
        "ពលកម្មកុមារនិងជួញដូរមនុស្ស", "child labour and trafficking", r"(?=.*child labour)(?=.*traffick)"
    ),
    # Mixed Khmer and English, with a cycle or a State.
    Query("UPR ជុំទី២ ដីធ្លី", "UPR cycle 2 land", r"\bland", cycle=2),
    Query("ទារុណកម្ម c1", "torture c1", r"tortur", cycle=1),
    Query("អំពើហិង្សា women", "violence against women", r"(?=.*violen)(?=.*\bwom[ae]n\b)"),
    Query("សិង្ហបុរី ការអប់រំ", "Singapore education", r"educat|school", state="SG"),
    Query("health ស្ត្រី", "women health", r"(?=.*health)(?=.*\bwom[ae]n\b)"),
)
