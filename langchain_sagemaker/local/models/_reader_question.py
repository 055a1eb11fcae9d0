"""Question analysis for the reader: the question type and its search terms."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_sagemaker.local.models._reader_text import (
    IRREGULAR,
    PLURAL_NOUNS,
    SENTENCE_STARTERS,
    STOPWORDS,
    TIME_UNITS_EN,
    Word,
    has_cjk,
    split_words,
    stem_word,
)
from langchain_sagemaker.local.models.tokens import is_cjk

CJK_STOP_CHARS = frozenset(
    "的了在是和有吗呢把被个这那她他它们我你也都就而与及或之其吧啊呀么还又很从到对为将"
    "让给向于以吗嗎們這個與為於會"
    "ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでと"
    "どなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑ"
    "をんゔ、，。！？「」『』（）・：；"
)

CJK_INTERROGATIVES = re.compile(
    "什么|什麼|怎么|怎麼|怎样|如何|哪里|哪儿|哪裡|哪|谁|誰|多少|几|吗|嗎|呢|いつ|どこ|だれ|どなた|"
    "なに|なん|何|どう|どの|どれ|いくら|ですか|ましたか|ますか"
)

DURATION, TIME, PLACE, PERSON, QUANTITY, REASON, OTHER = (
    "duration",
    "time",
    "place",
    "person",
    "quantity",
    "reason",
    "other",
)

KIND_ORDER = (DURATION, TIME, PLACE, PERSON, QUANTITY, REASON)

KIND_PATTERNS: dict[str, re.Pattern[str]] = {
    DURATION: re.compile(
        r"(?i)\bhow\s+long\b(?!\s+ago)|\bhow\s+many\s+(?:more\s+)?"
        + TIME_UNITS_EN
        + r"\b"
        r"|\bhow\s+much\s+time\b|\bduration\b"
        "|多久|多长时间|多長時間|多少天|多少年|多少个月|多少小时|多少分钟|多少周"
        "|几天|几年|几个月|几周|几个星期|几小时|几个小时|几分钟"
        "|どのくらい|どれくらい|どのぐらい|どれぐらい|何日間|何日|何時間|何週間|何年間"
        "|何か月|何ヶ月|何カ月|何分間"
    ),
    TIME: re.compile(
        r"(?i)\bwhen\b|\bhow\s+long\s+ago\b"
        r"|\b(?:what|which)\s+(?:year|time|date|day|month|century|decade|hour|season"
        r"|era)\b"
        "|什么时候|什麼時候|何时|何時|哪一年|哪年|几点|什么时间|哪天|哪一天|几月|几号"
        "|哪个月|いつ|何年|何月|何曜日"
    ),
    PLACE: re.compile(
        r"(?i)\bwhere\b|\b(?:what|which)\s+(?:city|country|town|village|place|state"
        r"|province|region|continent|island|location|venue|hospital|school"
        r"|university|street|address|building|room|port|airport|station|park"
        r"|neighbou?rhood|area|county|nation|capital|restaurant|hotel)\b"
        "|在哪里|在哪儿|在哪裡|哪里|哪儿|哪裡|在哪|什么地方|何处|哪个城市|哪个国家|哪座城市|哪个地方|哪座"
        "|どこ|何処|どの町|どの国|どの都市"
    ),
    PERSON: re.compile(
        r"(?i)\bwho(?:m|se)?\b|\b(?:what|which)\s+(?:person|man|woman|player|author"
        r"|scientist|artist|company|team|organi[sz]ation|group|band|brand|firm"
        r"|king|queen|president|leader|writer|singer|actor|actress|architect"
        r"|engineer|doctor|coach|student|employee)\b"
        r"|\bwhat\s+(?:is|was)\s+(?:the|his|her|their|its)\s+name\b"
        "|谁|誰|哪位|だれ|どなた"
    ),
    QUANTITY: re.compile(
        r"(?i)\bhow\s+(?:much|many|old|far|tall|high|big|large|heavy|deep|wide"
        r"|fast|often|long|cold|hot|warm|low|small)\b"
        r"|\bwhat\s+(?:(?:is|was|were|are)\s+)?(?:the\s+)?(?:price|cost|amount"
        r"|number|percentage|percent|total|population|salary|fee|budget|revenue"
        r"|age|score|temperature|distance|speed|weight|height|size)\b"
        "|多少|几个|几|多大|多高|多远|多重|多长|いくら|何人|何個|いくつ|何本|何枚|何冊"
        "|何台|何回|何歳|どれだけ|何パーセント|何キロ|何メートル"
    ),
    REASON: re.compile(
        r"(?i)\bwhy\b|\bhow\s+come\b|\bfor\s+what\s+reason\b|\bwhat\s+(?:caused"
        r"|causes|led\s+to|made|was\s+the\s+reason|is\s+the\s+reason)\b"
        "|为什么|為什麼|为何|什么原因|なぜ|どうして|何故"
    ),
}

COST_WORDS = re.compile(
    r"(?i)\b(?:cost|costs|price|prices|priced|pay|paid|spend|spent|worth|charge"
    r"|charged|sell|sold|buy|bought|earn|earned|fee|fees|salary|budget|money"
    r"|revenue|raise|raised|donate|donated|fund|funding|ticket|tickets)\b"
    "|价格|价钱|多少钱|费用|花了|售价|成本|工资|收入|钱|票价|値段|料金|いくら|円"
)

MEASURE_QUESTION = re.compile(
    r"(?i)\bhow\s+(heavy|fast|tall|high|far|deep|wide|often|hot|cold|warm)\b"
    r"|\b(weigh)s?\b"
)
MEASURES = {
    "heavy": "weight",
    "weigh": "weight",
    "fast": "speed",
    "tall": "length",
    "high": "length",
    "far": "length",
    "deep": "length",
    "wide": "length",
    "often": "frequency",
    "hot": "temperature",
    "cold": "temperature",
    "warm": "temperature",
}
"""What a "how heavy / how often ..." question measures: the unit to prefer."""

END_QUESTION = re.compile(
    r"(?i)\b(?:close[sd]?|closing|end(?:s|ed)?|finish(?:es|ed)?|stop(?:s|ped)?"
    r"|until|till|reopen(?:s|ed)?)\b|几点关门|几点结束|到什么时候|閉まり|終わり|終了|まで"
)
START_QUESTION = re.compile(
    r"(?i)\b(?:opens?|opening|start(?:s|ed)?|begin[s]?|began)\b|几点开门|开始|開き|始まり|開始"
)


def range_part(question: str) -> str:
    """Which end of a time range the question asks for, if only one."""
    ends = END_QUESTION.search(question) is not None
    starts = START_QUESTION.search(question) is not None
    if ends == starts:
        return ""
    return "end" if ends else "start"


COUNT_QUESTION = re.compile(
    r"(?i)\bhow\s+(?:many|far|long|tall|high|big|large|heavy|deep|wide|fast|often"
    r"|old)\b|\bnumber\s+of\b"
)
"""A count or a measure, not a price, even with a money word ("how many tickets
were sold", "how far on one charge")."""

PERCENT_QUESTION = re.compile(
    r"(?i)\bpercent(?:age)?\b|%|\bby\s+how\s+much\b|百分之|百分比|パーセント"
)

NAMED_PLACE_QUESTION = re.compile(
    r"(?i)\b(?:what|which)\s+(?:city|country|town|village|state|province|region"
    r"|continent|island|county|nation|capital)\b"
    "|哪个城市|哪个国家|哪座城市|哪个省|どの町|どの国|どの都市"
)

AGE_QUESTION = re.compile(r"(?i)\bhow\s+old\b|\bwhat\s+age\b|多大|几岁|何歳")

TIME_DETAIL = re.compile(
    r"(?i)\b(?:what|which)\s+(year|time|date|day|month|century|decade|hour|season)"
    "|(哪一?年|何年)|(几点|何時)|(几月|何月)|(几号)"
)

HOW_MANY_UNIT = re.compile(r"(?i)\bhow\s+many\s+([a-z][a-z'-]*(?:\s+[a-z][a-z'-]*)?)")

CJK_UNIT = re.compile(
    "(?:多少|几|何)(个|名|位|次|本|件|张|辆|座|家|只|人|個|冊|枚|台|回)"
)

MAX_TERMS = 48

MAX_QUESTION_CHARS = 400


@dataclass(frozen=True)
class Term:
    """A question term: a word stem or a CJK n-gram."""

    key: str
    weight: float
    cjk: bool


@dataclass(frozen=True)
class Question:
    """What the reader knows about the question."""

    text: str
    kind: str
    detail: str
    terms: tuple[Term, ...]
    units: frozenset[str]
    cjk: bool
    wh_left: str
    wh_right: str
    range_part: str = ""
    """"end" for "when does it close / until when", "start" for "when does it
    open": which end of a "from X to Y" range answers."""


def classify(question: str) -> tuple[str, re.Match[str] | None]:
    """Return the question kind and the wh-phrase that decided it."""
    best: tuple[int, int, str, re.Match[str]] | None = None
    for rank, kind in enumerate(KIND_ORDER):
        match = KIND_PATTERNS[kind].search(question)
        if match and (best is None or (match.start(), rank) < best[:2]):
            best = (match.start(), rank, kind, match)
    if best is None:
        return OTHER, None
    return best[2], best[3]


def time_detail(question: str) -> str:
    match = TIME_DETAIL.search(question)
    if match is None:
        return ""
    if match.group(1):
        word = match.group(1).lower()
        return {"hour": "time", "decade": "year", "season": "relative"}.get(word, word)
    details = ("year", "time", "month", "date")
    for group, detail in zip(range(2, 6), details, strict=True):
        if match.group(group):
            return detail
    return ""


def question_detail(kind: str, question: str) -> str:
    if kind == TIME:
        return time_detail(question)
    if kind == PLACE and NAMED_PLACE_QUESTION.search(question):
        return "named"
    if kind == QUANTITY:
        if AGE_QUESTION.search(question):
            return "age"
        measure = MEASURE_QUESTION.search(question)
        if measure:
            return MEASURES[measure.group(1).lower()]
        if PERCENT_QUESTION.search(question):
            return "percent"
        if COST_WORDS.search(question) and not COUNT_QUESTION.search(question):
            return "cost"
    return ""


def question_units(question: str) -> frozenset[str]:
    units: set[str] = set()
    match = HOW_MANY_UNIT.search(question)
    if match:
        for position, word in enumerate(match.group(1).split()):
            lower = word.lower()
            if lower in STOPWORDS or (position and looks_like_verb(lower)):
                break
            units.add(stem_word(word))
    units.update(m.group(1) for m in CJK_UNIT.finditer(question))
    return frozenset(units)


def looks_like_verb(word: str) -> bool:
    """Whether a word after "how many <noun>" is the verb ("workers *lost*")."""
    return word.endswith("ed") or (word in IRREGULAR and word not in PLURAL_NOUNS)


RELATIVE_WORDS = frozenset({"that", "which", "who", "whom", "whose"})
RELATIVE_SHARE = 0.5
"""The weight of a relative clause's words when the main clause has its own
verb: in "Who led the team that identified the species?", "led the team" is
what is asked."""


def latin_terms(question: str) -> list[Term]:
    terms: list[Term] = []
    words = split_words(question)
    relative = next(
        (
            i
            for i, w in enumerate(words)
            if i > 1
            and w.text.lower() in RELATIVE_WORDS
            and any(looks_like_verb(v.text.lower()) for v in words[:i])
        ),
        len(words),
    )
    verb = main_verb(words)
    for position, word in enumerate(words):
        lower = word.text.lower()
        if lower in STOPWORDS or lower in {"did", "does", "do"}:
            continue
        is_name = word.text[0].isupper() and (
            position > 0 or lower not in SENTENCE_STARTERS
        )
        weight = 1.6 if is_name else (RELATIVE_SHARE if position > relative else 1.0)
        if position == verb:
            weight = MAIN_VERB_WEIGHT
        terms.append(Term(word.stem, weight, cjk=False))
    return terms


MAIN_VERB_WEIGHT = 1.4
"""The weight of the verb that closes a "does / did ... <verb>?" question: the
relation asked about ("What does the submarine cable *carry*?"), which a
following sentence may state of "it"."""


def main_verb(words: Sequence[Word]) -> int:
    """The position of the verb that ends a "do/does/did" question, else -1."""
    lowers = [w.text.lower() for w in words]
    if len(words) < 3 or not {"do", "does", "did"} & set(lowers[:3]):
        return -1
    last = lowers[-1]
    if last in STOPWORDS or words[-1].text[0].isupper():
        return -1
    return len(words) - 1


def cjk_terms(question: str) -> list[Term]:
    cleaned = CJK_INTERROGATIVES.sub(" ", question)
    runs: list[str] = []
    current: list[str] = []
    for char in cleaned:
        if is_cjk(char) and char not in CJK_STOP_CHARS:
            current.append(char)
        else:
            if current:
                runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    terms: list[Term] = []
    for run in runs:
        terms.extend(Term(run[i : i + 2], 1.0, cjk=True) for i in range(len(run) - 1))
        terms.extend(Term(char, 0.35, cjk=True) for char in run)
    return terms


def unique_terms(terms: Sequence[Term]) -> tuple[Term, ...]:
    seen: dict[tuple[str, bool], Term] = {}
    for term in terms:
        key = (term.key, term.cjk)
        if key not in seen or seen[key].weight < term.weight:
            seen[key] = term
    return tuple(seen.values())[:MAX_TERMS]


def analyze(question: str) -> Question:
    kind, wh = classify(question)
    cjk = has_cjk(question)
    left = question[: wh.start()] if wh else ""
    right = question[wh.end() :] if wh else ""
    blanked = f"{left} {right}" if wh else question
    terms = latin_terms(blanked)
    if cjk:
        terms.extend(cjk_terms(blanked))
    return Question(
        text=question,
        kind=kind,
        detail=question_detail(kind, question),
        terms=unique_terms(terms),
        units=question_units(question),
        cjk=cjk,
        wh_left=left.strip(),
        wh_right=right.strip(" ？?。.!！"),
        range_part=range_part(question),
    )
