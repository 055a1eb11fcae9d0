"""Words, stems and sentences: the reader's text primitives (English and CJK)."""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import NamedTuple


def wordset(words: str) -> frozenset[str]:
    """Return the whitespace-separated words of ``words`` as a set."""
    return frozenset(words.split())


def parse_pairs(text: str) -> dict[str, str]:
    """Parse ``"key:value key:value"`` into a dict."""
    return {key: value for key, _, value in (p.partition(":") for p in text.split())}


STOPWORDS = wordset(
    """
    a about above after again against all also although am an and any are as at
    be because been before being below between both but by can could did do does
    doing done down during each either else even ever every few for from further
    get gets got had has have having he her here hers herself him himself his
    how i if in into is it its itself just least less let like many may me might
    more most much must my myself near neither no nor not now of off often on
    once one only onto or other others our ours ourselves out over own per quite
    rather really same several shall she should since so some such than that the
    their theirs them themselves then there these they this those though through
    thus till to too toward towards under until up upon us very via was we were
    what whatever when where whether which while who whom whose why will with
    within without would yet you your yours yourself yourselves based according
    context question answer tell please say said know
    """
)

SENTENCE_STARTERS = wordset(
    """
    after afterwards again also although and another as at because before both
    but by despite during each eventually every finally first for from he her
    here his however if in instead it its later many meanwhile most next now
    often on once one our she since so some soon still that the their then there
    therefore these they this those though thus today tomorrow two unfortunately
    until we when whenever where while with within yesterday yet you overall
    fortunately luckily sadly suddenly initially originally currently recently
    together what who why how which last every early late
    """
)

IRREGULAR = parse_pairs(
    """
    ate:eat began:begin begun:begin bought:buy brought:bring built:build
    came:come caught:catch chose:choose chosen:choose died:die drove:drive
    driven:drive ran:run fell:fall felt:feel flew:fly flown:fly fought:fight
    found:find gave:give given:give went:go gone:go grew:grow grown:grow
    held:hold kept:keep knew:know known:know led:lead left:leave lost:lose
    made:make met:meet paid:pay rode:ride sang:sing sold:sell sent:send
    slept:sleep spent:spend spoke:speak spoken:speak stood:stand stole:steal
    stolen:steal swam:swim taught:teach took:take taken:take thought:think
    told:tell won:win wrote:write written:write became:become broke:break
    broken:break drew:draw drawn:draw threw:throw thrown:throw wore:wear
    worn:wear saw:see seen:see men:man women:woman children:child people:person
    feet:foot mice:mouse
    """
)

PLURAL_NOUNS = wordset("men women children people feet mice")

EN_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    "fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|"
    "fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozen"
)

MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|"
    "November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
)

WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"

CNUM = "(?:[0-9０-９]+(?:[.．][0-9０-９]+)?|[零〇一二两三四五六七八九十百千万几半数]+)"

CJK_RANGE = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"

TIME_UNITS_EN = (
    r"(?:seconds?|minutes?|hours?|days?|nights?|weeks?|fortnights?|months?|years?"
    r"|decades?|centur(?:y|ies)|semesters?|seasons?|weekends?)"
)

WC = rf"[^\W_{CJK_RANGE}]"

CJK_CHAR = re.compile(f"[{CJK_RANGE}\u2e80-\u2fdf\u3005-\u3007\U00020000-\U0003ffff]")

WORD = re.compile(rf"{WC}(?:{WC}|['’.\-]{WC}|(?<=\d),\d)*")

SENTENCE_BOUNDARY = re.compile(r"[。！？]+[」』”\"'’）)]*\s*|[.!?]+[\"'”’)\]]*\s+")

ABBREVIATIONS = wordset(
    """
    mr mrs ms dr prof st mt jr sr vs etc e.g i.e inc ltd co corp no fig jan feb
    mar apr jun jul aug sep sept oct nov dec approx dept est gen gov lt col sgt
    capt rev u.s u.k cf al ph.d
    """
)

PRECEDING_WORD = re.compile(r"([A-Za-z]+(?:\.[A-Za-z]+)*)$")


class Word(NamedTuple):
    """A Latin-script word of a sentence."""

    text: str
    stem: str
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    """A context sentence with its words."""

    text: str
    paragraph: int
    words: tuple[Word, ...]

    def words_after(self, offset: int, limit: int) -> tuple[Word, ...]:
        """Return up to ``limit`` words starting at or after ``offset``."""
        index = bisect.bisect_left(self.words, offset, key=lambda w: w.start)
        return self.words[index : index + limit]

    def words_before(self, offset: int, limit: int) -> tuple[Word, ...]:
        """Return up to ``limit`` words ending by ``offset``, nearest first."""
        index = bisect.bisect_right(self.words, offset, key=lambda w: w.end)
        return self.words[max(0, index - limit) : index][::-1]


def has_cjk(text: str) -> bool:
    return CJK_CHAR.search(text) is not None


def has_kana(text: str) -> bool:
    return any("\u3040" <= char <= "\u30ff" for char in text)


@functools.lru_cache(maxsize=8192)
def stem_word(word: str) -> str:
    """Reduce an English word to a crude stem (lowercase, no inflection)."""
    word = word.lower().replace("’", "'")
    word = word.removesuffix("'s").removesuffix("'")
    if word in IRREGULAR:
        return stem_word(IRREGULAR[word])
    if not word.isalpha() or len(word) <= 3:
        return word
    for suffix, replacement in (("ies", "y"), ("ied", "y"), ("sses", "ss")):
        if word.endswith(suffix) and len(word) > 4:
            return word[: -len(suffix)] + replacement
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return undouble(word[: -len(suffix)])
    return word.removesuffix("e") if len(word) > 4 else word


def undouble(stem: str) -> str:
    if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]
    return stem.removesuffix("e") if len(stem) > 4 else stem


SYNONYM_GROUPS = (
    "founded establish start create launch begin commence",
    "end finish complete conclude",
    "build construct erect",
    "buy purchase acquire",
    "cost price pay sell",
    "lead head direct chair",
    "ceo executive",
    "search look seek hunt",
    "lose missing",
    "win beat defeat",
    "write author",
    "make produce manufacture",
    "big large huge",
    "small little tiny",
    "show display exhibit",
    "help assist",
    "hire employ recruit",
    "hold host stage",
    "marry wed",
    "photo picture image",
)
"""Words a question may use for the context's word ("started" / "founded")."""

_SYNONYM: dict[str, int] = {}
for _group, _words in enumerate(SYNONYM_GROUPS):
    for _word in _words.split():
        _SYNONYM[stem_word(_word)] = _group


@functools.lru_cache(maxsize=16384)
def stems_match(left: str, right: str) -> float:
    """How well two stems match: 1 equal, 0.8 close prefix, 0.7 synonyms, else 0.

    Synonyms are the words of one of the ``SYNONYM_GROUPS``.
    """
    if left == right:
        return 1.0
    short, long = sorted((left, right), key=len)
    if len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 6:
        return 0.8
    group = _SYNONYM.get(left)
    if group is not None and group == _SYNONYM.get(right):
        return 0.7
    return 0.0


def split_words(text: str) -> tuple[Word, ...]:
    return tuple(
        Word(m.group(), stem_word(m.group()), m.start(), m.end())
        for m in WORD.finditer(text)
    )


def split_sentences(text: str) -> list[str]:
    """Split one line of text into sentences (English and CJK punctuation)."""
    sentences: list[str] = []
    start = 0
    for match in SENTENCE_BOUNDARY.finditer(text):
        if not is_boundary(text, match):
            continue
        piece = text[start : match.end()].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def is_boundary(text: str, match: re.Match[str]) -> bool:
    if match.group()[0] in "。！？":
        return True
    following = text[match.end() : match.end() + 1]
    if following and following[0].islower():
        return False
    if match.group()[0] != ".":
        return True
    previous = PRECEDING_WORD.search(text[max(0, match.start() - 20) : match.start()])
    if previous is None:
        return True
    word = previous.group(1)
    return not (word.lower() in ABBREVIATIONS or (len(word) == 1 and word.isupper()))
