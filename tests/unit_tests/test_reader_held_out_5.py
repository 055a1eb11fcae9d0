"""Held-out set 5 for the reader: written blind, evaluated once, then partly fixed.

A helper wrote these 15 documents (11 English, 2 Chinese, 2 Japanese), 50
questions and 9 prompt templates without reading the reader's code, its tests
or the earlier held-out sets, and did not run them. They were evaluated once,
after all the reader changes of held-out sets 3 and 4: 158 of 211 prompts
right, 37 of 50 questions right under every template of their language;
through ``load_qa_chain`` on the local endpoint (stuff / map_reduce / refine,
one chunk per sentence or two halves) 233 of 300. (Held-out set 4, evaluated
the same way before those changes: 120 of 189 prompts, 171 of 270 chains.)
The 13 wrong questions are strict xfails below, with what the reader answered.

Fixed afterwards by general changes, so no longer held out (6 of the 13): a
number that only repeats the question ("Gliese 4071") is no answer; "14 March"
is a date, not an amount; "two hours and 41 minutes" is one duration; "until"
asks for a range's end; a Japanese name before its honorific ("佐藤健太選手");
a "who" answer is not the name asked about, nor an event ("Valdora Open").
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from langchain_sagemaker.local.models.reader import answer
from tests.unit_tests._held_out import held_out_params

_RAW_DOCUMENTS = [
    # ------------------------------------------------------------------ English
    {
        "id": "council",
        "lang": "en",
        "sentences": [
            "The Harwick City Council voted 7 to 2 on Tuesday evening to turn Millbrook Street into a pedestrian zone.",
            "The change will take effect on 1 September, after a three-month trial that begins on 1 June.",
            "Councillor Dana Obuya, who proposed the plan, said it would cut traffic noise near the primary school.",
            "Councillor Reed Lamont voted against it because delivery trucks would need a new route.",
            "The project is expected to cost £420,000, paid from the transport reserve.",
        ],
        "questions": [
            ("Which street will become a pedestrian zone?", "Millbrook Street"),
            ("When will the change take effect?", "1 September"),
            ("Which councillor put forward the plan?", "Dana Obuya"),
            ("Why did Reed Lamont oppose the plan?", "delivery trucks"),
        ],
    },
    {
        "id": "obituary",
        "lang": "en",
        "sentences": [
            "Marguerite Ellison, the marine biologist who mapped the kelp forests of the Tasman coast, died on 14 March at her home in Hobart.",
            "She was 88.",
            "Born in Leeds in 1936, she moved to Australia at the age of 24 to study at the University of Tasmania.",
            "Her 1979 survey of 300 kilometres of coastline is still used by fisheries officers today.",
            "She is survived by her son, Tomas, and two granddaughters.",
        ],
        "questions": [
            ("Where was Marguerite Ellison born?", "Leeds"),
            ("How old was Ellison when she died?", "88"),
            (
                "In which year did Ellison carry out her survey of the coastline?",
                "1979",
            ),
        ],
    },
    {
        "id": "zoo",
        "lang": "en",
        "sentences": [
            "Riverside Zoo will close its reptile house from 3 February to 28 February while the heating system is replaced.",
            "The zoo's two Komodo dragons, Bima and Sari, will stay in a temporary enclosure behind the aquarium.",
            "Visitors can still watch the penguins being fed at 11:30 and 15:00 every day.",
            "Annual members will receive a free guest pass as an apology for the disruption.",
        ],
        "questions": [
            ("Why is the reptile house closing?", "heating system"),
            ("Until what date will the reptile house stay shut?", "28 February"),
            ("What will annual members get?", "guest pass"),
        ],
    },
    {
        "id": "astronomy",
        "lang": "en",
        "sentences": [
            "Astronomers at the Cerro Alto Observatory have found a planet orbiting the red dwarf star Gliese 4071, about 38 light-years from Earth.",
            "The planet, named Gliese 4071 b, is roughly 1.4 times the size of Earth and completes one orbit every 9 days.",
            "It was detected by the tiny dimming it causes each time it passes in front of its star.",
            "The team, led by astronomer Priya Ramanathan, plans to study its atmosphere with the James Webb Space Telescope next year.",
        ],
        "questions": [
            ("How far from Earth is the star Gliese 4071?", "38 light-years"),
            ("How long does the planet take to go around its star?", "9 days"),
            ("Who is leading the team?", "Priya Ramanathan"),
        ],
    },
    {
        "id": "tennis",
        "lang": "en",
        "sentences": [
            "Lucia Ferraro won the Valdora Open women's final on Sunday, beating top seed Anika Brandt 6-4, 3-6, 7-5.",
            "The match lasted two hours and 41 minutes.",
            "Ferraro, who is ranked 23rd in the world, had never before reached a final on clay.",
            "She will take home prize money of $310,000, while Brandt receives $165,000.",
        ],
        "questions": [
            ("Who won the Valdora Open women's final?", "Lucia Ferraro"),
            ("Whom did Ferraro defeat in the final?", "Anika Brandt"),
            ("How long did the match last?", "41 minutes"),
            ("How much prize money will Ferraro receive?", "310,000"),
        ],
    },
    {
        "id": "earnings",
        "lang": "en",
        "sentences": [
            "Brightline Logistics reported revenue of $2.3 billion for the second quarter, up 12 percent from a year earlier.",
            "Net profit rose to $184 million.",
            "The company said it will hire 1,500 warehouse workers before the holiday season, mostly in Ohio and Texas.",
            "Chief executive Marcus Hale said the growth came from new contracts with online grocers.",
        ],
        "questions": [
            (
                "How much revenue did Brightline Logistics report for the second quarter?",
                "2.3 billion",
            ),
            ("How many warehouse workers does the company plan to recruit?", "1,500"),
            (
                "Why did Brightline grow, according to its chief executive?",
                "online grocers",
            ),
        ],
    },
    {
        "id": "ferry",
        "lang": "en",
        "sentences": [
            "From 5 May, the Northwind ferry between Port Ellery and Skarra Island will run four times a day instead of six.",
            "The first sailing will leave Port Ellery at 7:15 rather than 6:30.",
            "The crossing takes 50 minutes.",
            "Tickets bought before the change remain valid.",
            "The operator blamed a shortage of qualified crew for the cut.",
        ],
        "questions": [
            ("How often will the Northwind ferry run from 5 May?", "four times a day"),
            ("What time will the first sailing leave Port Ellery?", "7:15"),
            ("How long does the crossing take?", "50 minutes"),
            ("Why were the ferry sailings reduced?", "qualified crew"),
        ],
    },
    {
        "id": "pharmacy",
        "lang": "en",
        "sentences": [
            "Take one tablet of Corvalex 20 mg twice a day, in the morning and in the evening, with food.",
            "Do not take more than 40 mg in 24 hours.",
            "The course lasts 10 days, even if you feel better sooner.",
            "Avoid grapefruit juice, because it can raise the level of the medicine in your blood.",
            "If you miss a dose, take it as soon as you remember unless the next dose is due within 4 hours.",
        ],
        "questions": [
            ("How often should Corvalex be taken?", "twice a day"),
            ("What is the maximum amount of Corvalex allowed in 24 hours?", "40 mg"),
            ("Why should grapefruit juice be avoided?", "raise the level"),
        ],
    },
    {
        "id": "story",
        "lang": "en",
        "sentences": [
            "Pip was a small grey rabbit who lived under the old oak tree with her brother Moss.",
            "One morning she found a shiny blue button in the meadow.",
            "She carried it home and gave it to Moss, because he collected round things.",
            "He put it next to his acorn cups and smiled for the rest of the day.",
            "That evening they both watched the stars from the top of the hill.",
        ],
        "questions": [
            ("What did Pip find in the meadow?", "blue button"),
            ("Who did Pip give the button to?", "Moss"),
            ("Why did Pip give the button to her brother?", "round things"),
            ("Where did Pip and Moss watch the stars?", "top of the hill"),
        ],
    },
    {
        "id": "laptop",
        "lang": "en",
        "sentences": [
            "The Aerion 14 Pro laptop weighs 1.2 kg and has a 14-inch screen.",
            "The base model, with 16 GB of memory and a 512 GB drive, costs $1,299.",
            "The upgraded model doubles the memory to 32 GB and costs $1,649.",
            "Its battery lasts up to 18 hours of video playback, and it charges to 50 percent in 30 minutes.",
        ],
        "questions": [
            ("How much does the base model of the Aerion 14 Pro cost?", "1,299"),
            ("How much memory does the upgraded model have?", "32 GB"),
            ("How long does the battery last?", "18 hours"),
        ],
    },
    {
        "id": "admissions",
        "lang": "en",
        "sentences": [
            "Applications for the Master of Public Health at Dunmore University open on 10 October and close on 15 January.",
            "Applicants need a bachelor's degree with at least a 2:1 and two references.",
            "The programme admits 60 students each year and lasts 18 months.",
            "International applicants must also submit an IELTS score of 7.0 or higher.",
        ],
        "questions": [
            ("What is the deadline for applications?", "15 January"),
            ("How many students does the programme take each year?", "60"),
            ("How long does the programme last?", "18 months"),
        ],
    },
    # ------------------------------------------------------------------ Chinese
    {
        "id": "zh_weather",
        "lang": "zh",
        "sentences": [
            "中央气象台今天上午发布了暴雨橙色预警。",
            "预计从明天凌晨到后天中午，浙江东部将出现大暴雨，局部降雨量可达200毫米。",
            "杭州市教育局决定，全市中小学暂停线下课程两天。",
            "气象专家提醒市民不要前往山区，因为那里可能发生山体滑坡。",
        ],
        "questions": [
            ("中央气象台发布了什么预警？", "暴雨橙色预警"),
            ("局部地区的降雨量最多可能达到多少？", "200毫米"),
            ("为什么市民不应该去山区？", "山体滑坡"),
        ],
    },
    {
        "id": "zh_treaty",
        "lang": "zh",
        "sentences": [
            "1432年，青川国与白石国在临江城签订了《临江和约》，结束了长达十一年的战争。",
            "和约规定，两国以赤水河为界，青川国每年向白石国输送三万石粮食。",
            "代表青川国签约的是宰相林怀远，白石国一方则由将军赵北辰出面。",
            "此后，两国保持了近八十年的和平。",
        ],
        "questions": [
            ("《临江和约》是在哪里签订的？", "临江城"),
            ("代表青川国签约的人是谁？", "林怀远"),
            ("和约签订后，两国的和平维持了多久？", "八十年"),
        ],
    },
    # ------------------------------------------------------------------ Japanese
    {
        "id": "ja_recipe",
        "lang": "ja",
        "sentences": [
            "肉じゃがの作り方を紹介します。",
            "まず、じゃがいも3個と玉ねぎ1個を一口大に切ります。",
            "鍋に油をひき、牛肉200グラムを炒めてから野菜を加えます。",
            "水400ミリリットルと醤油大さじ3を入れ、弱火で20分煮込みます。",
            "じゃがいもが柔らかくなったら完成です。",
        ],
        "questions": [
            ("牛肉は何グラム使いますか？", "200グラム"),
            ("どのくらいの時間煮込みますか？", "20分"),
            ("じゃがいもはいくつ使いますか？", "3個"),
            ("水はどれくらい入れますか？", "400ミリリットル"),
        ],
    },
    {
        "id": "ja_cycling",
        "lang": "ja",
        "sentences": [
            "第12回北アルプス自転車ロードレースが日曜日に長野県で行われ、佐藤健太選手が優勝した。",
            "佐藤選手は全長165キロのコースを4時間12分で走り切った。",
            "2位には前回の優勝者である山本翔選手が入った。",
            "佐藤選手は「来年は世界選手権を目指したい」と話した。",
        ],
        "questions": [
            ("レースで優勝したのは誰ですか？", "佐藤健太"),
            ("コースの全長は何キロですか？", "165キロ"),
            ("2位になったのは誰ですか？", "山本翔"),
        ],
    },
]


def _join(lang: str, sentences: list[str]) -> str:
    return (" " if lang == "en" else "").join(sentences)


DOCUMENTS = [dict(d, text=_join(d["lang"], d["sentences"])) for d in _RAW_DOCUMENTS]

QUESTIONS = [
    (d["id"], d["lang"], d["text"], q, expected)
    for d in DOCUMENTS
    for q, expected in d["questions"]
]

TEMPLATES = {
    "en": {
        "en_stuff_classic": (
            "Use the following pieces of context to answer the question at the end. "
            "If you don't know the answer, just say that you don't know, don't try "
            "to make up an answer.\n\n{context}\n\nQuestion: {question}\nHelpful Answer:"
        ),
        "en_chatml": (
            "<|im_start|>system\nYou are a helpful assistant. Answer the user's "
            "question using only the provided context.<|im_end|>\n"
            "<|im_start|>user\nContext:\n{context}\n\nQuestion: {question}<|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
        "en_mistral": (
            "<s>[INST] Answer the question based on the context below. Keep the "
            "answer short.\n\nContext:\n{context}\n\nQuestion: {question} [/INST]"
        ),
        "en_documents_user": "Documents:\n{context}\n\nUser: {question}\nAssistant:",
        "en_background_qa": (
            'Background:\n"""\n{context}\n"""\n\n'
            "Answer briefly, using only the background above.\n"
            "Q: {question}\nA:"
        ),
    },
    "zh": {
        "zh_basic": (
            "请根据以下内容回答问题。如果无法从内容中找到答案，请回答“不知道”。\n\n"
            "内容：\n{context}\n\n问题：{question}\n答案："
        ),
        "zh_chatml": (
            "<|im_start|>system\n你是一个乐于助人的助手。<|im_end|>\n"
            "<|im_start|>user\n已知信息：\n{context}\n\n"
            "请根据上述已知信息，简洁地回答下面的问题。\n{question}<|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
    },
    "ja": {
        "ja_basic": (
            "以下の文章を読んで、質問に簡潔に答えてください。\n\n"
            "文章：\n{context}\n\n質問：{question}\n回答："
        ),
        "ja_instruction": (
            "### 指示:\n参考情報だけを使って、質問に短く答えてください。\n\n"
            "### 参考情報:\n{context}\n\n### 質問:\n{question}\n\n### 応答:\n"
        ),
    },
}


def fill(template: str, context: str, question: str) -> str:
    """Fill a template (plain replacement, so braces in text are harmless)."""
    return template.replace("{context}", context).replace("{question}", question)


CASES = [
    (name, template, document, question, expected)
    for _doc_id, lang, document, question, expected in QUESTIONS
    for name, template in TEMPLATES[lang].items()
]


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", " ", text).strip()


def matches(expected: str, answer: str) -> bool:
    """True when the answer contains the expected substring.

    Case-insensitive (casefold), NFKC-normalised (full-width digits and letters
    count as their ASCII forms) and with runs of whitespace collapsed.
    """
    return _normalize(expected) in _normalize(answer or "")


FAILURES: dict[str, str] = {
    "Why were the ferry sailings reduced?": "answers the first sentence",
    "Who did Pip give the button to?": "answers 'a shiny blue'",
    "Where did Pip and Moss watch the stars?": "answers 'from the top', cut short",
    "What is the maximum amount of Corvalex allowed in 24 hours?": (
        "answers the missed-dose sentence"
    ),
    "水はどれくらい入れますか？": "answers '20分', a duration",
    "じゃがいもはいくつ使いますか？": "answers 'I don't know'",
    "2位になったのは誰ですか？": "answers '優勝者'",
}


@pytest.mark.parametrize(
    ("doc_id", "question", "expected"),
    held_out_params(((d, q, e) for d, _lang, _text, q, e in QUESTIONS), FAILURES),
)
def test_held_out_5(doc_id: str, question: str, expected: str) -> None:
    document = next(d for d in DOCUMENTS if d["id"] == doc_id)
    answers = [
        answer(fill(template, document["text"], question))
        for template in TEMPLATES[document["lang"]].values()
    ]
    assert [a for a in answers if not matches(expected, a)] == []
