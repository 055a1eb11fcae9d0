"""Held-out set 3 for the reader: written blind, evaluated, then partly fixed.

A helper wrote these 12 documents (8 English, 2 Chinese, 2 Japanese), 40
questions and 8 prompt templates without reading the reader's code or its other
tests. Each question is asked with every template of its language.

First evaluation: 23 of 40 cases (one template each, round-robin) right. A
ChatML template (question alone in the user turn, closed by ``<|im_end|>``)
failed every question: the turn markers hid the question. Recognising chat turn
markers (ChatML, Llama 3, Gemma) fixed that: 28 of 40. Nine more were fixed
afterwards by general changes, so they are no longer held out: digits glued to
letters ("X2") are not numbers, a price question takes money first, a span's
own clause counts, a few common synonyms ("started" / "founded", "CEO" / "chief
executive"), a person's role right before the name, and a sentence opening with
a subject pronoun ("彼女は") sharing the previous sentence's question words, and a
name right after "called" / "named"; a purpose ("designed ... to carry timber") for
a "why" with no "because"; a relative clause's words count half when the main
clause has its own verb ("Who led the team that identified ..."). The questions still wrong under some
template are strict xfails, with the reason.
"""

from __future__ import annotations

import pytest

from langchain_sagemaker.local.models.reader import answer
from tests.unit_tests._held_out import held_out_params

DOCS: dict[str, tuple[str, str]] = {}  # key -> (lang, text)

DOCS["science"] = (
    "en",
    (
        "Researchers at the University of Nordvik have identified a new species of "
        "deep-sea octopus near the Varga Ridge. The animal, named Grimpoteuthis "
        "lucerna, lives at depths of about 2,400 meters. It was first photographed "
        "in 2019 by a remotely operated vehicle called Aurora. The team, led by "
        "marine biologist Ingrid Halvorsen, published its findings in the journal "
        "Marine Biodiversity last March."
    ),
)

DOCS["sports"] = (
    "en",
    (
        "The Riverton Hawks won the national basketball championship on Sunday, "
        "beating the Carlow Stags 88 to 81 in overtime. Point guard Marcus "
        "Bellweather scored 34 points, including the three-pointer that forced the "
        "extra period. It was the club's first title since 1998. Coach Dana Okafor "
        "said the victory belonged to the fans who had waited twenty-six years."
    ),
)

DOCS["history"] = (
    "en",
    (
        "The Halden Canal lock system was completed in 1877 after nearly nine years "
        "of construction. It was designed by the engineer Johan Fredrik Ekeberg to "
        "carry timber from the inland forests to the sawmills on the coast. At its "
        "busiest, more than 300 barges passed through the locks each month. The "
        "canal closed to commercial traffic in 1965 and is now used mainly by "
        "tourist boats."
    ),
)

DOCS["company"] = (
    "en",
    (
        "Brightwater Analytics, a data software firm founded in 2011 in Austin, "
        "Texas, announced on Tuesday that it will acquire the Canadian startup "
        "Norquill for $220 million. Norquill makes tools that help hospitals "
        "schedule nurses. The deal is expected to close in the third quarter. "
        "Brightwater's chief executive, Priya Raman, said the company plans to keep "
        "all 85 of Norquill's employees."
    ),
)

DOCS["story"] = (
    "en",
    (
        "Elena Marsh left her village at dawn with a basket of apples for her "
        "grandmother. She walked for three hours along the river before reaching "
        "the old stone bridge. There she met a boy named Tobias, who was searching "
        "for his lost goat. He told her the goat had run toward the mill, so she "
        "helped him look for it until noon."
    ),
)

DOCS["recipe"] = (
    "en",
    (
        "To make the lemon barley soup, first rinse 200 grams of pearl barley under "
        "cold water. Simmer the barley in 1.5 liters of vegetable stock for 40 "
        "minutes, until it is tender. Stir in the juice of two lemons and a handful "
        "of chopped parsley just before serving. The soup serves four people and "
        "keeps in the refrigerator for up to three days."
    ),
)

DOCS["product"] = (
    "en",
    (
        "The Kestrel X2 electric scooter weighs 14.5 kilograms and folds in under "
        "five seconds. Its 450-watt motor reaches a top speed of 25 km/h, and the "
        "battery offers a range of up to 40 kilometers on a single charge. The "
        "scooter costs $649, and a spare battery is sold separately for $129. It "
        "comes with a two-year warranty."
    ),
)

DOCS["event"] = (
    "en",
    (
        "The Harbourfront Jazz Festival returns to Halifax from 14 to 16 August. "
        "Concerts will be held at the Pier 21 amphitheatre, with the opening night "
        "headlined by saxophonist Lorna Whitfield. Weekend passes cost $85 and go on "
        "sale on 1 June. The festival is organised by the non-profit Atlantic Sound "
        "Society."
    ),
)

DOCS["zh_observatory"] = (
    "zh",
    (
        "2023年5月，中国科学院在青海省冷湖镇建成了一座新的天文台。"
        "该天文台海拔约4200米，每年晴夜超过280个。"
        "它由南京天文光学技术研究所负责设计，总投资约3.5亿元。"
    ),
)

DOCS["zh_bakery"] = (
    "zh",
    (
        "李明是一家面包店的老板。"
        "他在2015年于杭州开了第一家店，现在已经有六家分店。"
        "每天早上五点，他和十二名员工一起开始烤面包。"
        "店里最受欢迎的产品是桂花米糕，每个售价8元。"
    ),
)

DOCS["ja_museum"] = (
    "ja",
    (
        "北山町の青葉美術館は1987年に開館した。"
        "設計したのは建築家の森田健二である。"
        "館内には約3,500点の陶磁器が収蔵されている。"
        "入館料は大人1,200円で、毎週月曜日は休館となる。"
    ),
)

DOCS["ja_runner"] = (
    "ja",
    (
        "田中さくらは毎朝六時に起きて、近所の公園を走っている。"
        "彼女は来月の東京マラソンに初めて出場する予定だ。"
        "練習のために、週に四回、一回につき十キロを走る。"
    ),
)

# --------------------------------------------------------------------------
# Questions: doc key -> [(question, expected), ...]
# Notes: (P) answer sentence uses a pronoun for the subject;
#        (R) question wording differs from the document (paraphrase).
# --------------------------------------------------------------------------

QUESTIONS: dict[str, list[tuple[str, str]]] = {
    "science": [
        (
            "Who led the team that identified the new octopus species?",
            "Ingrid Halvorsen",
        ),
        ("How deep does Grimpoteuthis lucerna live?", "2,400 meters"),
        ("When was the octopus first photographed?", "2019"),  # (P)
        (
            "What was the name of the vehicle that took the first photo of the octopus?",
            "Aurora",
        ),  # (P)(R)
    ],
    "sports": [
        (
            "Which team did the Riverton Hawks defeat in the final?",
            "Carlow Stags",
        ),  # (R)
        ("How many points did Marcus Bellweather score?", "34"),
        ("Before this win, when had the club last won a title?", "1998"),  # (P)(R)
        ("Who coaches the Riverton Hawks?", "Dana Okafor"),  # (R)
    ],
    "history": [
        ("When was the Halden Canal lock system finished?", "1877"),  # (R)
        ("Who designed the Halden Canal lock system?", "Johan Fredrik Ekeberg"),  # (P)
        ("Why was the lock system built?", "timber"),  # (P)(R)
    ],
    "company": [
        ("When was Brightwater Analytics started?", "2011"),  # (R)
        ("How much will Brightwater pay for Norquill?", "$220 million"),  # (R)
        ("Who is the CEO of Brightwater Analytics?", "Priya Raman"),  # (R)
        ("How many employees does Norquill have?", "85"),  # (R)
    ],
    "story": [
        ("How long did Elena walk along the river?", "three hours"),  # (P)
        ("Who was looking for a missing goat?", "Tobias"),  # (R)
        ("Where did the goat run?", "mill"),  # (P)
    ],
    "recipe": [
        ("How long should the barley simmer?", "40 minutes"),
        ("How much vegetable stock is needed?", "1.5 liters"),
        ("How many people does the soup serve?", "four"),
    ],
    "product": [
        ("How much does the Kestrel X2 cost?", "$649"),
        ("How far can the Kestrel X2 travel on one charge?", "40 kilometers"),  # (R)
        ("How much is a spare battery?", "$129"),
        ("How long is the Kestrel X2's warranty?", "two-year"),  # (P)
    ],
    "event": [
        ("Where will the concerts be held?", "Pier 21"),
        ("Who will headline the opening night?", "Lorna Whitfield"),  # (R)
        ("When do weekend passes go on sale?", "1 June"),
    ],
    "zh_observatory": [
        ("新天文台建在哪里？", "冷湖镇"),
        ("天文台的海拔有多高？", "4200米"),  # (R)
        ("天文台是由哪个机构设计的？", "南京天文光学技术研究所"),  # (P)
    ],
    "zh_bakery": [
        ("李明是哪一年创办第一家店的？", "2015"),  # (P)(R)
        ("面包店现在有几家分店？", "六家"),
        ("桂花米糕每个卖多少钱？", "8元"),  # (R)
    ],
    "ja_museum": [
        ("青葉美術館はいつオープンしましたか？", "1987年"),  # (R)
        ("青葉美術館を設計したのは誰ですか？", "森田健二"),
        ("大人の入館料はいくらですか？", "1,200円"),
    ],
    "ja_runner": [
        ("田中さくらは毎朝何時に起きますか？", "六時"),
        ("田中さくらはどの大会に出場しますか？", "東京マラソン"),  # (P)(R)
        ("田中さくらは一回にどのくらいの距離を走りますか？", "十キロ"),  # (R)
    ],
}

# --------------------------------------------------------------------------
# Prompt templates
# --------------------------------------------------------------------------

EN_TEMPLATES = [
    # LangChain's classic stuff prompt
    "Use the following pieces of context to answer the question at the end. "
    "If you don't know the answer, just say that you don't know, don't try to "
    "make up an answer.\n\n{context}\n\nQuestion: {question}\nHelpful Answer:",
    # system/user chat style (ChatML-like)
    "<|im_start|>system\nYou are a precise assistant. Answer the user's question "
    "using only the document below. Reply with a short phrase.\n\nDocument:\n"
    "{context}<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n"
    "<|im_start|>assistant\n",
    # bare Context / Q / A style
    "Context: {context}\nQ: {question}\nA:",
    # Llama-2 instruction style
    "[INST] <<SYS>>\nAnswer questions strictly from the given passage. Keep "
    "answers brief.\n<</SYS>>\n\nPassage:\n{context}\n\nQuestion: {question} [/INST]",
]

ZH_TEMPLATES = [
    "已知信息：\n{context}\n\n根据上述已知信息，简洁和专业地回答用户的问题。"
    "如果无法从中得到答案，请说“根据已知信息无法回答该问题”，不允许编造。\n"
    "问题是：{question}\n答案：",
    "请阅读下面的材料并回答问题。\n\n材料：{context}\n\n问题：{question}\n回答：",
]

JA_TEMPLATES = [
    "以下の文脈を使って、最後の質問に答えてください。答えがわからない場合は、"
    "わからないと答えてください。\n\n{context}\n\n質問：{question}\n回答：",
    "### 指示:\n次の文章を読んで、質問に簡潔に答えてください。\n\n### 文章:\n"
    "{context}\n\n### 質問:\n{question}\n\n### 応答:\n",
]


TEMPLATES = {"en": EN_TEMPLATES, "zh": ZH_TEMPLATES, "ja": JA_TEMPLATES}

FAILURES: dict[str, str] = {
    "Who coaches the Riverton Hawks?": (
        "answers 'Carlow Stags': 'coaches' does not match the title 'Coach'; the "
        "sentence naming the Riverton Hawks offers the other team"
    ),
    "面包店现在有几家分店？": (
        "answers '一家': '一家面包店' is a count in the sentence matching "
        "'面包店'; '六家分店' follows in a sentence about '他'"
    ),
    "田中さくらは一回にどのくらいの距離を走りますか？": (
        "answers '四回': '距離' has no distance span type, and '四回' is the "
        "count nearest '一回'"
    ),
}


@pytest.mark.parametrize(
    ("doc", "question", "expected"),
    held_out_params(
        ((key, q, e) for key, qs in QUESTIONS.items() for q, e in qs), FAILURES
    ),
)
def test_held_out_3(doc: str, question: str, expected: str) -> None:
    lang, text = DOCS[doc]
    answers = [
        answer(template.format(context=text, question=question))
        for template in TEMPLATES[lang]
    ]
    assert [a for a in answers if expected.lower() not in a.lower()] == []
