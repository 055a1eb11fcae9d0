"""Held-out set 6 for the reader: written blind, evaluated once, not tuned on.

A helper wrote these 15 documents (11 English, 2 Chinese, 2 Japanese), 50
questions and 9 prompt templates without reading the reader's code, its tests
or the earlier held-out sets, and did not run them. They were evaluated once,
after every reader change of this round (including the fixes made after
seeing set 5): 178 of 211 prompts right, 41 of 50 questions right under every
template of their language; through ``load_qa_chain`` on the local endpoint
(stuff / map_reduce / refine, one chunk per sentence or two halves) 254 of 300.
For comparison, first evaluations of the earlier blind sets: set 4 (before
this round) 120 of 189 prompts and 171 of 270 chains; set 5 (midway) 158 of
211 and 233 of 300. The 9 wrong questions are strict xfails, with what the
reader answered.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest

from langchain_sagemaker.local.models.reader import answer
from tests.unit_tests._held_out import held_out_params

_DOCS: list[dict[str, Any]] = [
    {
        "id": "library",
        "lang": "en",
        "sentences": [
            "The Harrowgate Public Library reopened on 14 March 2024 after a "
            "two-year renovation that cost £8.2 million.",
            "The original building was designed in 1896 by the architect Miriam Coles.",
            "Its new reading room seats 240 people, twice as many as before.",
            "Head librarian Tomás Reyes said the library will now stay open "
            "until 9 pm on weekdays.",
            "It also lends out sewing machines and telescopes.",
        ],
    },
    {
        "id": "inventor",
        "lang": "en",
        "sentences": [
            "Edda Lindqvist was born in Uppsala in 1871 and moved to Gothenburg "
            "at the age of nineteen.",
            "There she built the first folding pram with a steel frame, which "
            "she patented in 1903.",
            "Her brother Karl handled the sales, but she kept control of the designs.",
            "She died in 1952, three years after her company was sold to a Danish firm.",
        ],
    },
    {
        "id": "park",
        "lang": "en",
        "sentences": [
            "From 1 June, visitors to Kestrel Ridge National Park must book a "
            "timed entry permit online before arriving.",
            "The permit costs $5 per vehicle and is valid for three days.",
            "The park service introduced the rule because traffic jams on the "
            "summit road had blocked emergency vehicles twice last summer.",
            "Cyclists and hikers entering on foot do not need a permit.",
        ],
    },
    {
        "id": "groper",
        "lang": "en",
        "sentences": [
            "Researchers at the Tasman Ocean Institute have found that juvenile "
            "blue groper change sex at a much younger age than previously thought.",
            "The team tagged 312 fish off the coast of New Zealand between 2019 and 2022.",
            "Dr. Aroha Ngata, who led the study, said most of them switched from "
            "female to male at about four years old, not at eight.",
            "The findings were published in the journal Marine Ecology Letters.",
        ],
    },
    {
        "id": "marathon",
        "lang": "en",
        "sentences": [
            "Kenyan runner Faith Chebet won the Lisbon Harbour Marathon on Sunday "
            "in 2 hours 21 minutes 9 seconds, ahead of Ethiopia's Meseret Alemu.",
            "It was her second victory in the race.",
            "The men's title went to Portugal's Rui Amaral, who crossed the line in 2:08:44.",
            "About 14,500 runners took part, a record for the event.",
        ],
    },
    {
        "id": "startup",
        "lang": "en",
        "sentences": [
            "Berlin-based startup Voltwerk has raised €45 million in a Series B "
            "round led by Northgate Capital, with participation from Alder Ventures.",
            "The company makes battery packs for electric cargo bikes and employs 130 people.",
            "Chief executive Lena Brandt said the money will be used to open a "
            "factory in Poland next year.",
        ],
    },
    {
        "id": "strike",
        "lang": "en",
        "sentences": [
            "Members of the Rail Workers' Union will strike on Tuesday 8 October "
            "and Thursday 10 October in a dispute over pay.",
            "No trains will run on the Northern and Coastal lines on those days.",
            "Replacement buses will leave Central Station every 30 minutes "
            "between 6 am and 10 pm.",
            "Season ticket holders can claim a refund through the operator's website.",
        ],
    },
    {
        "id": "leaflet",
        "lang": "en",
        "sentences": [
            "Calmarin tablets contain 200 mg of ibuprofen and are used to relieve "
            "headache, toothache and period pain.",
            "Adults should take one or two tablets every six hours, with a maximum "
            "of eight tablets in 24 hours.",
            "Do not take them for longer than ten days without asking a doctor.",
            "Store the pack below 25°C and keep it out of the reach of children.",
        ],
    },
    {
        "id": "fox",
        "lang": "en",
        "sentences": [
            "Once upon a time, a fox named Ember lived at the edge of a birch "
            "forest with her grandmother.",
            "Every winter the old fox told stories about a silver lantern hidden "
            "under the frozen lake.",
            "One night Ember crept out alone to find it.",
            "When she finally pulled it from the ice, it glowed so brightly that "
            "the whole village woke up.",
            "The villagers were frightened at first, but they soon used its light "
            "to guide lost travellers home.",
        ],
    },
    {
        "id": "camera",
        "lang": "en",
        "sentences": [
            "The Lumora X7 mirrorless camera has a 33-megapixel full-frame sensor "
            "and can shoot 4K video at 120 frames per second.",
            "Its battery lasts for about 520 shots on a single charge.",
            "The body alone costs $1,899, while the kit with a 24-70 mm lens "
            "sells for $2,449.",
            "It weighs 658 grams and goes on sale on 12 September.",
        ],
    },
    {
        "id": "scholarship",
        "lang": "en",
        "sentences": [
            "The Marlowe Foundation is offering ten scholarships of £12,000 each "
            "to students starting an engineering degree this autumn.",
            "Applicants must be under 21 and live in Wales or Cornwall.",
            "The deadline for applications is 30 April, and winners will be told by 15 June.",
            "Each award can be renewed for up to three years.",
        ],
    },
    {
        "id": "cake",
        "lang": "zh",
        "sentences": [
            "这款柠檬磅蛋糕需要200克低筋面粉、150克黄油和3个鸡蛋。",
            "先把黄油和砂糖打发至颜色发白，再分三次加入蛋液。",
            "烤箱预热到170度，烘烤45分钟。",
            "蛋糕出炉后要放凉20分钟再脱模。",
        ],
    },
    {
        "id": "quake",
        "lang": "zh",
        "sentences": [
            "据地震台网测定，3月5日凌晨2时17分，白石县发生5.8级地震，震源深度10公里。",
            "地震造成两座老旧房屋倒塌，12人受轻伤，无人死亡。",
            "当地政府已经在县体育馆设立临时安置点。",
        ],
    },
    {
        "id": "wreck",
        "lang": "ja",
        "sentences": [
            "貨物船「みさき丸」は1923年11月、横浜から函館へ向かう途中で嵐に遭い、沈没した。",
            "乗組員38人のうち、31人が近くの漁船に救助された。",
            "船体は2009年に海底で発見され、現在は一部が港の博物館で展示されている。",
        ],
    },
    {
        "id": "tour",
        "lang": "ja",
        "sentences": [
            "ロックバンド「青い灯台」は、来年春に全国ツアーを行うと発表した。",
            "ツアーは4月12日の札幌公演から始まり、全15公演を回って6月1日に福岡で終わる。",
            "チケットは一般7,800円で、2月1日から公式サイトで販売される。",
        ],
    },
]


def _join(lang: str, sentences: list[str]) -> str:
    return ("" if lang in ("zh", "ja") else " ").join(sentences)


for _d in _DOCS:
    _d["text"] = _join(_d["lang"], _d["sentences"])

DOCS: dict[str, dict[str, Any]] = {d["id"]: d for d in _DOCS}

# ---------------------------------------------------------------------------
# Questions: (doc_id, question, expected substring)
# ---------------------------------------------------------------------------

QUESTIONS: list[tuple[str, str, str]] = [
    # library (two dates, two names, synonym "hold" for "seats")
    ("library", "When did the Harrowgate Public Library reopen?", "14 March 2024"),
    ("library", "How much did the renovation cost?", "8.2 million"),
    ("library", "Who designed the original building?", "Miriam Coles"),
    ("library", "How many people can the new reading room hold?", "240"),
    # inventor (pronoun "she", two places, two years)
    ("inventor", "Where was Edda Lindqvist born?", "Uppsala"),
    ("inventor", "In what year did Edda Lindqvist patent the folding pram?", "1903"),
    ("inventor", "Who was in charge of selling the prams?", "Karl"),
    ("inventor", "When did Edda Lindqvist die?", "1952"),
    # park
    ("park", "How much does the entry permit cost?", "$5"),
    ("park", "How long is the permit valid for?", "three days"),
    ("park", "Why did the park service introduce the permit rule?", "traffic jams"),
    ("park", "Who does not need a permit?", "Cyclists"),
    # groper (pronoun "them", two ages, synonym "change" / "switched")
    ("groper", "How many fish did the team tag?", "312"),
    ("groper", "Who led the study?", "Aroha Ngata"),
    (
        "groper",
        "At what age do most blue groper change from female to male?",
        "four years",
    ),
    ("groper", "Which journal published the findings?", "Marine Ecology Letters"),
    # marathon (two names, two times)
    ("marathon", "Who finished second behind Faith Chebet?", "Meseret Alemu"),
    (
        "marathon",
        "How long did it take Faith Chebet to finish the marathon?",
        "2 hours 21 minutes",
    ),
    ("marathon", "How many runners took part?", "14,500"),
    # startup (two investors)
    ("startup", "How much money did Voltwerk raise?", "45 million"),
    ("startup", "Which firm led the funding round?", "Northgate Capital"),
    ("startup", "What will the money be spent on?", "factory in Poland"),
    # strike
    ("strike", "Why are the rail workers going on strike?", "pay"),
    ("strike", "How often will the replacement buses run?", "30 minutes"),
    ("strike", "Where will the replacement buses leave from?", "Central Station"),
    # leaflet (several numbers)
    ("leaflet", "How often should adults take the tablets?", "six hours"),
    (
        "leaflet",
        "What is the largest number of tablets an adult may take in a day?",
        "eight",
    ),
    ("leaflet", "Which active ingredient do Calmarin tablets contain?", "ibuprofen"),
    # fox (pronouns she / it / they)
    ("fox", "Who did Ember live with?", "grandmother"),
    ("fox", "Where was the silver lantern hidden?", "frozen lake"),
    (
        "fox",
        "What did the villagers use the lantern's light for?",
        "guide lost travellers",
    ),
    # camera (two prices, pronoun "It weighs", synonym "heavy")
    ("camera", "How much does the kit with the lens cost?", "$2,449"),
    ("camera", "How many shots does the battery last on one charge?", "520"),
    ("camera", "How heavy is the Lumora X7?", "658 grams"),
    # scholarship (two dates)
    ("scholarship", "How much is each scholarship worth?", "12,000"),
    ("scholarship", "When is the application deadline?", "30 April"),
    ("scholarship", "How many scholarships is the Marlowe Foundation offering?", "ten"),
    # cake (zh; two durations)
    ("cake", "需要多少克黄油？", "150克"),
    ("cake", "烤箱要预热到多少度？", "170度"),
    ("cake", "蛋糕要烤多长时间？", "45分钟"),
    ("cake", "蛋液分几次加入？", "三次"),
    # quake (zh)
    ("quake", "这次地震的震级是多少？", "5.8级"),
    ("quake", "有多少人受伤？", "12人"),
    ("quake", "临时安置点设在哪里？", "体育馆"),
    # wreck (ja; two places, two numbers, two years)
    ("wreck", "みさき丸はどこへ向かっていましたか？", "函館"),
    ("wreck", "何人が救助されましたか？", "31人"),
    ("wreck", "船体はいつ見つかりましたか？", "2009年"),
    # tour (ja; two places, two dates)
    ("tour", "ツアーはどこで終わりますか？", "福岡"),
    ("tour", "チケットの値段はいくらですか？", "7,800円"),
    ("tour", "ツアーは全部で何公演ですか？", "15公演"),
]

# ---------------------------------------------------------------------------
# Prompt templates per language ({context} and {question})
# ---------------------------------------------------------------------------

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "en_langchain_stuff": (
            "Use the following pieces of context to answer the question at the end. "
            "If you don't know the answer, just say that you don't know, don't try "
            "to make up an answer.\n\n{context}\n\nQuestion: {question}\nHelpful Answer:"
        ),
        "en_chatml": (
            "<|im_start|>system\nYou are a helpful assistant. Answer the user's "
            "question using only the given context.<|im_end|>\n"
            "<|im_start|>user\nContext:\n{context}\n\nQuestion: {question}<|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
        "en_llama3": (
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            "Answer the question from the context below. Keep the answer short."
            "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
            "Here is some information:\n{context}\n\nUsing it, answer: {question}<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n"
        ),
        "en_markdown": "### Context\n{context}\n\n### Question\n{question}\n\n### Answer\n",
        "en_passage_qa": (
            "Read the passage and reply with a short phrase copied from it.\n\n"
            'Passage: """\n{context}\n"""\n\nQ: {question}\nA:'
        ),
    },
    "zh": {
        "zh_plain": (
            "请根据下面的资料回答问题。如果资料中没有答案，请回答“不知道”。\n\n"
            "资料：\n{context}\n\n问题：{question}\n答案："
        ),
        "zh_brackets": "【背景】\n{context}\n\n【问题】{question}\n【简短回答】",
    },
    "ja": {
        "ja_plain": (
            "次の文章を読んで、質問に短く答えてください。\n\n"
            "文章：\n{context}\n\n質問：{question}\n答え："
        ),
        "ja_headings": "＃ 参考情報\n{context}\n\n＃ 質問\n{question}\n\n＃ 回答\n",
    },
}


def fill(template: str, context: str, question: str) -> str:
    """The prompt: the template with {context} and {question} filled in."""
    return template.replace("{context}", context).replace("{question}", question)


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"\s+", " ", text).strip()
    return text.casefold()


def matches(expected: str, answer: str) -> bool:
    """True if the answer contains the expected substring.

    Both are NFKC-normalised, whitespace is collapsed, and Latin text is
    compared case-insensitively (casefold leaves CJK text unchanged).
    """
    return _norm(expected) in _norm(answer)


FAILURES: dict[str, str] = {
    "Who was in charge of selling the prams?": "answers 'the first folding'",
    "Who did Ember live with?": "answers 'Ember', the name asked about",
    "Where was the silver lantern hidden?": "answers 'Ember'",
    "How long did it take Faith Chebet to finish the marathon?": (
        "answers '2 hours', cut short of '2 hours 21 minutes'"
    ),
    "How heavy is the Lumora X7?": "answers '33'",
    "需要多少克黄油？": "answers '200克', the other amount",
    "这次地震的震级是多少？": "answers '两座'",
    "蛋糕要烤多长时间？": "answers '20分钟', the other duration",
    "ツアーはどこで終わりますか？": "answers the start of the tour, '札幌'",
}


@pytest.mark.parametrize(
    ("doc_id", "question", "expected"), held_out_params(QUESTIONS, FAILURES)
)
def test_held_out_6(doc_id: str, question: str, expected: str) -> None:
    document = DOCS[doc_id]
    answers = [
        answer(fill(template, document["text"], question))
        for template in TEMPLATES[document["lang"]].values()
    ]
    assert [a for a in answers if not matches(expected, a)] == []
