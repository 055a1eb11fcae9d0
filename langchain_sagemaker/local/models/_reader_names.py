"""Name spans for the reader: places and people (English noun phrases, CJK slots)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from langchain_sagemaker.local.models._reader_patterns import (
    CJK_PLACE,
    DURATION_CJK,
    QUANTITY_CJK,
    TIME_CJK_PATTERNS,
    TIME_EN_PATTERNS,
)
from langchain_sagemaker.local.models._reader_question import (
    Question,
)
from langchain_sagemaker.local.models._reader_spans import NUMBER_WORD, Candidate
from langchain_sagemaker.local.models._reader_text import (
    MONTHS,
    SENTENCE_STARTERS,
    STOPWORDS,
    WEEKDAYS,
    Sentence,
    Word,
    stems_match,
    wordset,
)
from langchain_sagemaker.local.models.tokens import is_cjk

PLACE_WORDS = wordset(
    """
    airport apartment area bank bay beach building cafe campus capital castle
    cathedral center centre church city clinic coast college country court
    district embassy factory farm forest garden harbor harbour headquarters hall
    home hospital hotel house island lab laboratory lake library market mountain
    museum office palace park port prison province region restaurant river road
    room school sea shop square stadium station store street studio temple
    theater theatre town university valley village warehouse zoo
    """
)

BARE_PLACES = wordset(
    """
    home school church work bed sea town college hospital prison court class
    abroad downtown overseas
    """
)

DETERMINERS = wordset("the a an his her their its our my your this that these those")

PLACE_PREPOSITIONS = wordset(
    """
    in at to from into near inside outside on across through toward towards
    around within behind beside throughout opposite along onto
    """
)

TIME_NOUNS = wordset(
    """
    morning afternoon evening night noon midnight day days week weeks month
    months year years decade decades century centuries spring summer autumn fall
    winter weekend moment time hour hours minute minutes second seconds past
    future beginning end meantime january february march april may june july
    august september october november december monday tuesday wednesday thursday
    friday saturday sunday
    """
)

NAME_PARTICLES = wordset("of de del della di da van von der den la le al bin")

CJK_FUNCTION_CHARS = frozenset("由被是在到去为于了的和与把让给向从に是はがをでとへもの")

CJK_FILLER = re.compile(
    "(?:位于|位於|设在|设于|坐落于|坐落在|地处|来自|[由被是在到去为于了的和与把让给向从"
    "にはがをでとへもの将会要正已曾还就都也\\s])+"
)

JA_PARTICLE = re.compile("から|まで|[とにへでをが]")

MAX_SLOT_CHARS = 12

APPOSITION_GAP = re.compile(r"\s*,\s*")

RELATIVE_CLAUSE = re.compile(r"\s*,?\s*(?:where|when|in\s+which)\b")

GROUP_NOUNS = wordset("brothers sisters family twins couple band")

TITLE_ABBREVIATIONS = wordset("st mt ft dr mr mrs ms jr sr prof gen capt")

CALENDAR_WORD = re.compile(f"{MONTHS}|{WEEKDAYS}")

CJK_TITLED_NAME = re.compile(
    "((?:(?![的了在和与是由于从被])[\u4e00-\u9fff]){2,4}?)"
    "(?:選手|さん|氏|先生|監督|社長|教授|博士|女士)"
)
"""A name before its honorific ("佐藤健太選手", "王先生"); Chinese titles such as
"老师" come before the name instead."""

NOT_A_PERSON = re.compile(
    r"\b(?:Open|Cup|Championships?|Festival|Prize|Awards?|Games|Marathon|League"
    r"|University|College|School|Institute|Museum|Library|Company|Corp|Inc|Ltd"
    r"|Council|Club|Hotel|Bridge|Street|Road|Avenue|Park|River|Lake|Mountains?"
    r"|Station|Airport|Hospital|Observatory|Press|Bank|Group|Holdings|Systems"
    r"|Ridge|Island|Bay|Square)\b"
)
"""Words that make a capitalized name an event, a place or an organisation."""

NAMING_BEFORE = re.compile(
    r"(?i)\b(?:called|named|nicknamed|dubbed|known\s+as)\s+(?:the\s+)?$"
)
"""Right before a name that something or someone was given."""

PLACE_BEFORE = re.compile(r"(?i)\b(?:in|at|from|to|near|into)\s+(?:the\s+)?$")

POSSESSIVES = "的の"
"""Possessive particles a CJK place or name slot may hold ("村の東側")."""

MODIFIER_GAP = re.compile(r" (?:[a-z][a-z-]* ){1,2}")
"""Lowercase role words between a capitalized modifier and a name."""

LOCATING_GAP = re.compile(r"[ \t]+(?=(?:in|at|near|outside)\b)")
"""Between a place and the named place locating it ("a church in Donegal")."""


def noun_phrase_end(sentence: Sentence, index: int) -> int | None:
    """Return the end of the noun phrase starting at word ``index``, if any."""
    words = sentence.words
    if index >= len(words):
        return None
    first = words[index]
    lower = first.text.lower()
    capitalized = first.text[0].isupper()
    if not (
        lower in DETERMINERS
        or capitalized
        or lower in BARE_PLACES
        or NUMBER_WORD.fullmatch(lower)
        or precedes_name(words, index)
    ):
        return None
    end = first.end
    content = 0 if lower in DETERMINERS else 1
    previous = lower
    for word in itertools.islice(words, index + 1, index + 8):
        gap = sentence.text[end : word.start].strip()
        if gap == "." and previous in TITLE_ABBREVIATIONS:
            gap = ""
        if gap not in {"", "-"} or content >= 5:
            break
        word_lower = word.text.lower()
        if word_lower in STOPWORDS and not (
            word_lower in NAME_PARTICLES and capitalized and content
        ):
            break
        if (
            capitalized
            and not word.text[0].isupper()
            and word_lower not in NAME_PARTICLES
        ):
            break
        end = word.end
        content += 1
        previous = word_lower
    if content == 0:
        return None
    return end


def precedes_name(words: Sequence[Word], index: int) -> bool:
    """Whether ``words[index]`` is a lowercase modifier of a name ("northern China")."""
    return (
        index + 1 < len(words)
        and words[index].text.lower() not in STOPWORDS
        and words[index + 1].text[0].isupper()
    )


def place_candidates(sentence: Sentence, question: Question) -> list[Candidate]:
    found: list[Candidate] = []
    words = sentence.words
    for index, word in enumerate(words):
        if word.text.lower() not in PLACE_PREPOSITIONS:
            continue
        end = noun_phrase_end(sentence, index + 1)
        if end is None:
            continue
        phrase = sentence.text[words[index + 1].start : end]
        if is_temporal(phrase):
            continue
        prior = place_prior(phrase, question) + relative_bonus(sentence.text, end)
        found.append(Candidate(word.start, end, prior))
    found.extend(located_places(sentence.text, found))
    found.extend(bare_places(sentence, found))
    found.extend(cjk_place_candidates(sentence, question))
    return found


def located_places(text: str, places: list[Candidate]) -> list[Candidate]:
    """Join a place and the named place locating it ("a church *in Donegal*")."""
    by_start = {place.start: place for place in places}
    joined: list[Candidate] = []
    for place in places:
        gap = LOCATING_GAP.match(text, place.end)
        where = by_start.get(gap.end()) if gap else None
        if where is not None and where.prior > 0 and text[where.start].islower():
            named = any(c.isupper() for c in text[where.start : where.end])
            if named:
                prior = max(place.prior, where.prior) + 0.2
                joined.append(Candidate(place.start, where.end, prior))
    return joined


def relative_bonus(text: str, end: int) -> float:
    """Reward "X, where ..." (places) and "X, when ..." (times)."""
    return 0.8 if RELATIVE_CLAUSE.match(text, end) else 0.0


def is_temporal(phrase: str) -> bool:
    words = [w.lower().strip(".,") for w in phrase.split()]
    content = [w for w in words if w not in DETERMINERS]
    return (
        not content
        or any(w in TIME_NOUNS for w in content)
        or content[0][0].isdigit()
        or any(p.search(phrase) for _, p in TIME_EN_PATTERNS[:3])
    )


def place_prior(phrase: str, question: Question) -> float:
    words = phrase.split()
    prior = 0.0
    if any(w[0].isupper() for w in words):
        prior += 1.2 if question.detail == "named" else 0.6
    if any(w.lower().strip(".,") in PLACE_WORDS for w in words):
        prior += 0.4
    if words and words[0].lower() in {"a", "an"}:
        prior -= 0.2
    return prior


def bare_places(sentence: Sentence, taken: list[Candidate]) -> list[Candidate]:
    """Capitalized names not introduced by a preposition (weak place guesses)."""
    found = []
    for start, end in capitalized_runs(sentence):
        if not any(c.start <= start < c.end for c in taken):
            found.append(Candidate(start, end, -0.4))
    return found


def cjk_place_candidates(sentence: Sentence, question: Question) -> list[Candidate]:
    found = [
        Candidate(m.start(1), m.end(1), 0.4) for m in CJK_PLACE.finditer(sentence.text)
    ]
    if question.cjk:
        found.extend(gap_fill(sentence.text, question))
    return found


def capitalized_runs(sentence: Sentence) -> list[tuple[int, int]]:
    """Return spans of capitalized word sequences that look like names."""
    runs: list[tuple[int, int]] = []
    words = sentence.words
    index = 0
    while index < len(words):
        if not starts_name(words, index):
            index += 1
            continue
        start = words[index].start
        end, index = extend_name(sentence, index)
        runs.append((start, end))
    return runs


def starts_name(words: Sequence[Word], index: int) -> bool:
    word = words[index]
    if not word.text[0].isupper() or not word.text[0].isalpha():
        return False
    lower = word.text.lower()
    if CALENDAR_WORD.fullmatch(word.text):
        return False
    return not (lower in SENTENCE_STARTERS or (index == 0 and lower in STOPWORDS))


def extend_name(sentence: Sentence, index: int) -> tuple[int, int]:
    """Extend a name from word ``index``; return (end offset, next word index)."""
    words = sentence.words
    end = scan = words[index].end
    index += 1
    while index < len(words):
        word = words[index]
        gap = sentence.text[scan : word.start]
        if gap not in {" ", ". ", ""}:
            break
        if gap == ". " and scan - words[index - 1].start > 4:
            break
        if word.text[0].isupper() and word.text[0].isalpha():
            end = word.end
        elif gap == " " and word.text in GROUP_NOUNS:
            end = word.end
            index += 1
            break
        elif not (
            word.text.lower() in NAME_PARTICLES and next_is_capital(words, index)
        ):
            break
        scan = word.end
        index += 1
    for suffix in ("'s", "’s"):
        if sentence.text.endswith(suffix, 0, end):
            end -= len(suffix)
    return end, index


def next_is_capital(words: Sequence[Word], index: int) -> bool:
    return index + 1 < len(words) and words[index + 1].text[0].isupper()


def person_candidates(sentence: Sentence, question: Question) -> list[Candidate]:
    text = sentence.text
    found: list[Candidate] = []
    runs = capitalized_runs(sentence)
    for number, (start, end) in enumerate(runs):
        before = text[max(0, start - 10) : start].lower()
        prior = 0.5
        if PLACE_BEFORE.search(before):
            prior -= 0.8
        if NOT_A_PERSON.search(text[start:end]):
            prior -= 0.8  # "Valdora Open", "University of Nordvik", "Harwick Street"
        if NAMING_BEFORE.search(text[max(0, start - 16) : start]):
            prior += 1.0  # "a vehicle called Aurora": the name it was given
        following = runs[number + 1][0] if number + 1 < len(runs) else None
        gap = text[end:following] if following is not None else ""
        if MODIFIER_GAP.fullmatch(gap) and not STOPWORDS.intersection(gap.split()):
            # "the Kenyan runner Daniel Kiprop": "Kenyan" describes the name.
            found.append(Candidate(start, end, prior - 0.3))
            continue
        agent = agent_verb(sentence, start)
        if agent is not None:
            prior += 0.5 + agent_of_question(agent, question)
        found.append(Candidate(start, end, prior))
    found = resolve_appositions(text, found, role_candidates(sentence, question))
    if question.cjk:
        found.extend(
            Candidate(m.start(), m.end(), 1.0) for m in CJK_TITLED_NAME.finditer(text)
        )
        # a slot between the question's words may hold "4時間12分": not a name
        found.extend(
            c
            if not re.search(r"[0-9０-９]", text[c.start : c.end])
            else c._replace(prior=c.prior - 2.0)
            for c in gap_fill(text, question)
        )
    return found


def agent_verb(sentence: Sentence, start: int) -> Word | None:
    """For a name after "by" ("built by the astronomer *X*"), the word before "by".

    Returns None when the name does not follow "by" (with at most a
    determiner and two lowercase words, a role, in between).
    """
    before = sentence.words_before(start, 5)
    for index, word in enumerate(before[:4]):
        lower = word.text.lower()
        if lower == "by":
            return before[index + 1] if index + 1 < len(before) else None
        if index == 3:
            return None
        if lower in STOPWORDS and lower not in DETERMINERS:
            return None
    return None


def agent_of_question(verb: Word, question: Question) -> float:
    """Reward the agent of the question's verb ("founded by *Lucia Moreno*")."""
    stems = [t.key for t in question.terms if not t.cjk and t.weight < 1.5]
    return 0.8 if any(stems_match(verb.stem, stem) for stem in stems) else 0.0


def resolve_appositions(
    text: str, names: list[Candidate], roles: list[Candidate]
) -> list[Candidate]:
    """Let "her brother, Mark Johnson" answer with the name, not the role."""
    by_start = {name.start: name for name in names}
    result = list(names)
    for role in roles:
        gap = APPOSITION_GAP.match(text, role.end)
        name = by_start.get(gap.end()) if gap else None
        if name is None:
            result.append(role)
            continue
        result.remove(name)
        result.append(
            Candidate(name.start, name.end, max(name.prior, role.prior + 0.5))
        )
    return result


def role_candidates(sentence: Sentence, question: Question) -> list[Candidate]:
    """Lowercase noun phrases such as "the doctor" in subject or agent position."""
    found: list[Candidate] = []
    words = sentence.words
    stems = [t.key for t in question.terms if not t.cjk and t.weight < 1.5]
    for index, word in enumerate(words):
        if word.text.lower() == "by" and index + 1 < len(words):
            end = noun_phrase_end(sentence, index + 1)
            if end is not None and not words[index + 1].text[0].isupper():
                found.append(Candidate(words[index + 1].start, end, 0.3))
        if word.text[0].isupper() or not index:
            continue
        if any(stems_match(word.stem, stem) for stem in stems):
            start = subject_start(words, index)
            # "the clinic's new wing": a possessive, not a subject.
            if start is not None and not words[index - 1].text.endswith(("'s", "’s")):
                found.append(Candidate(words[start].start, words[index - 1].end, -0.2))
    return found


def subject_start(words: Sequence[Word], verb: int) -> int | None:
    """Return the index of the determiner of a short noun phrase before ``verb``."""
    for start in range(verb - 1, max(-1, verb - 4), -1):
        lower = words[start].text.lower()
        if lower in DETERMINERS - {"this", "that", "these", "those"}:
            return start if start < verb - 1 else None
        if lower in STOPWORDS or words[start].text[0].isupper():
            return None
    return None


def gap_fill(text: str, question: Question) -> list[Candidate]:
    """Find the CJK text that fills the wh-word's slot in ``text``."""
    found: list[Candidate] = []
    slot = anchored_slot(text, question)
    if slot is not None:
        found.append(Candidate(*slot))
    particle = particle_slot(text, question)
    if particle is not None:
        found.append(particle)
    return [c for c in found if not is_amount(text[c.start : c.end])]


def is_amount(text: str) -> bool:
    """Whether CJK ``text`` is an amount, a duration or a time ("約三億円")."""
    patterns = (QUANTITY_CJK, DURATION_CJK, *(p for _, p in TIME_CJK_PATTERNS))
    return any(pattern.fullmatch(text) for pattern in patterns)


def anchored_slot(text: str, question: Question) -> tuple[int, int, float] | None:
    """Align the words around the wh-word ("由 _ 创作") with ``text``."""
    left = matched_left(text, question.wh_left)
    left_end = left[0] if left else None
    right_start = right_anchor(text, question.wh_right, left_end or 0)
    if left_end is not None and right_start is not None and right_start > left_end:
        start, end, prior = left_end, right_start, 1.0
    elif right_start is not None:
        start, end, prior = back_to_boundary(text, right_start), right_start, 0.6
    elif left is not None and left[1] > 1:
        start, end, prior = left[0], len(text), 0.6
    else:
        # A lone particle ("は") anchors nothing: any topic would do.
        return None
    start += skip_filler(text[start:end])
    end = chunk_end(text, start, end)
    if not 0 < end - start <= MAX_SLOT_CHARS:
        return None
    return start, end, prior


def particle_slot(text: str, question: Question) -> Candidate | None:
    """Japanese: "誰と" is answered by the word before "と" ("友達と")."""
    particle = JA_PARTICLE.match(question.wh_right)
    if particle is None:
        return None
    start_at = left_anchor(text, question.wh_left) or 0
    index = text.find(particle.group(), start_at)
    while index > 0:
        start = back_to_boundary(text, index)
        if start < index:
            return Candidate(start, index, 0.9)
        index = text.find(particle.group(), index + 1)
    return None


def left_anchor(text: str, left: str) -> int | None:
    found = matched_left(text, left)
    return None if found is None else found[0]


def matched_left(text: str, left: str) -> tuple[int, int] | None:
    """Where the words before the wh-word end in ``text``, and how many matched."""
    left = left.rstrip()
    for candidate in (left, left.rstrip("".join(CJK_FUNCTION_CHARS))):
        for size in range(min(len(candidate), 6), 0, -1):
            piece = candidate[-size:]
            if size == 1 and piece not in CJK_FUNCTION_CHARS:
                continue
            index = text.find(piece)
            if index >= 0:
                return index + size, size
    return None


def right_anchor(text: str, right: str, start: int) -> int | None:
    right = right.lstrip("的了是")
    for size in range(min(len(right), 6), 1, -1):
        index = text.find(right[:size], start)
        if index >= 0:
            return index
    return None


def is_name_char(char: str) -> bool:
    return (is_cjk(char) or char.isalnum() or char in "·・") and (
        char not in CJK_FUNCTION_CHARS
    )


def back_to_boundary(text: str, end: int) -> int:
    start = end
    while start > 0 and end - start < MAX_SLOT_CHARS and is_name_char(text[start - 1]):
        start -= 1
    return start


def chunk_end(text: str, start: int, limit: int) -> int:
    """Extend a slot over name characters and inner possessives ("村の東側")."""
    end = start
    while end < limit and end - start < MAX_SLOT_CHARS:
        char = text[end]
        if is_name_char(char) or (
            char in POSSESSIVES
            and end > start
            and end + 1 < limit
            and is_name_char(text[end + 1])
        ):
            end += 1
        else:
            break
    while end > start and text[end - 1] in POSSESSIVES:
        end -= 1
    return end


def skip_filler(text: str) -> int:
    match = CJK_FILLER.match(text)
    return match.end() if match else 0
