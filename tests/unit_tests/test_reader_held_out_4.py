"""Held-out set 4 for the reader: written blind, evaluated once, not tuned on.

A helper wrote these 14 documents (10 English, 2 Chinese, 2 Japanese), 45
questions and 9 prompt templates without reading the reader's code, its other
tests or held-out set 3. Each question is asked with every template of its
language (189 prompts).

First evaluation (this commit's reader): 120 of 189 prompts right; every
question got the same answer under every template of its language, so 30 of
45 questions are right and 15 wrong. Through ``load_qa_chain`` on the local
endpoint (stuff / map_reduce / refine, one chunk per sentence or two halves):
171 of 270. The 15 wrong questions are strict xfails below, with what the
reader answered; the patterns are a sentence holding two values of the asked
type, a pronoun subject, and a paraphrased verb.

Fixed afterwards by general changes, so no longer held out (9 of the 15): a
"who" answer may be the person a next sentence calls "he" / "him"; "how
often" asks for "every ... / twice a ..."; "how heavy / fast / tall / far"
prefers that measure's units; a second predicate ("born in 1931 and moved to
Lisbon in 1946") is its own clause; Japanese minutes ("約40分") are a duration;
"close" asks for the end of "from 10 a.m. to 5 p.m.", "open" for its start;
a "why" whose best sentence gives no reason takes a "because ..." or a purpose
("helps them find ...") of the next three sentences.
"""

from __future__ import annotations

import pytest

from langchain_sagemaker.local.models.reader import answer
from tests.unit_tests._held_out import held_out_params

SENTENCES: dict[str, tuple[str, list[str]]] = {
    # local news item
    "news_bridge": (
        "en",
        [
            "The Harwick Street bridge in Millbrook reopened to traffic on Tuesday after being closed for eleven weeks.",
            "The repairs cost the town council $2.4 million, about $300,000 more than the original estimate.",
            "Mayor Dana Whitfield cut the ribbon at 9 a.m., watched by about two hundred residents.",
            "She said the work had overrun because of a shortage of steel beams.",
        ],
    ),
    # biography paragraph
    "bio_osei": (
        "en",
        [
            "Marguerite Osei was born in Kumasi in 1931 and moved to Lisbon with her family in 1946.",
            "She studied botany at the University of Coimbra, where she met the painter Tomas Ferreira.",
            "She married him in 1955, and in 1962 she published a catalogue of 840 mountain orchids.",
            "She died in Porto in 2009.",
        ],
    ),
    # museum / landmark
    "museum_customs": (
        "en",
        [
            "The Old Customs House on Quay Road was built in 1784 and now houses the Maritime Museum of Saltmere.",
            "Its collection includes more than 3,000 objects, among them the figurehead of the whaling ship Endeavour Rose.",
            "The museum is open from 10 a.m. to 5 p.m., Wednesday to Sunday.",
            "Admission is £8 for adults and £4 for children under sixteen.",
        ],
    ),
    # scientific finding
    "science_char": (
        "en",
        [
            "Researchers at the University of Tromsø have found that Arctic char can sense the Earth's magnetic field.",
            "In a study published in March 2023, the team tested 412 young fish in circular tanks.",
            "When the researchers reversed the magnetic field around the tanks, the fish changed direction within four minutes.",
            "Lead author Ingrid Halvorsen said the ability probably helps them find their way back to their spawning rivers.",
        ],
    ),
    # sports result
    "sports_cup": (
        "en",
        [
            "Redmoor United beat Castleford Rovers 3-1 at Ashby Park on Saturday to win the regional cup.",
            "Castleford took the lead in the 12th minute through Leon Marsh, but Sam Okafor equalised for Redmoor before half-time.",
            "Striker Amir Haddad scored twice in the second half.",
            "He was later named player of the match.",
            "The crowd of 8,200 was the largest at the ground this season.",
        ],
    ),
    # business / earnings report
    "business_brightwell": (
        "en",
        [
            "Brightwell Foods reported revenue of $612 million for the third quarter, up 9 percent from a year earlier.",
            "Net profit fell to $41 million from $47 million, as the cost of packaging rose sharply.",
            "Chief executive Olivia Park said the company would open two new factories in Ohio next year.",
            "Its shares rose 4 percent in early trading.",
        ],
    ),
    # travel / transport notice
    "transport_harlow": (
        "en",
        [
            "Due to engineering works, the 07:42 service from Harlow Town to London Liverpool Street will depart from Platform 4 instead of Platform 2 on Sunday.",
            "Trains will run every 30 minutes instead of every 15 minutes until 14:00.",
            "Passengers for Stansted Airport should change at Bishop's Stortford.",
            "Journeys are expected to take up to 25 minutes longer than usual.",
        ],
    ),
    # medical / health leaflet
    "medical_tablets": (
        "en",
        [
            "Adults should take one 500 mg tablet every eight hours, with food.",
            "Do not take more than three tablets in 24 hours.",
            "The course usually lasts seven days, even if you feel better sooner.",
            "If you develop a rash, stop taking the medicine and contact your doctor.",
        ],
    ),
    # short story with pronouns
    "story_key": (
        "en",
        [
            "Nora found the old key under a loose floorboard in her grandmother's kitchen.",
            "It was made of brass and had a tiny anchor engraved on its handle.",
            "She took it to her uncle Felix, who ran a locksmith's shop on Mill Lane.",
            "He told her that it belonged to a sea chest that had gone missing in 1958.",
            "They spent the whole afternoon searching the attic, and they finally found the chest behind a wardrobe.",
        ],
    ),
    # product spec
    "product_tablet": (
        "en",
        [
            "The Corvex T7 tablet has a 10.9-inch display and weighs 478 grams.",
            "It comes with 128 GB of storage for $349, or 256 GB for $429.",
            "The battery lasts up to 14 hours of video playback and charges fully in 95 minutes.",
            "It is available in graphite, silver and sage green.",
        ],
    ),
    # school announcement (Chinese)
    "zh_school": (
        "zh",
        [
            "北京市育英中学将于2024年9月2日举行开学典礼。",
            "典礼上午8点30分在学校体育馆开始，预计持续一个半小时。",
            "今年共有420名新生入学，比去年多35名。",
            "校长王建华将在典礼上发表讲话。",
        ],
    ),
    # historical event (Chinese)
    "zh_history": (
        "zh",
        [
            "1887年，商人林德明在泉州创办了第一家茶叶出口公司。",
            "公司最初只有十二名员工，主要向新加坡出口乌龙茶。",
            "他后来把总部迁到了厦门。",
            "1903年，公司因一场大火而关闭。",
        ],
    ),
    # historical event / landmark (Japanese)
    "ja_lighthouse": (
        "ja",
        [
            "1872年、港町の浜崎に初めての灯台が建てられた。",
            "設計したのはイギリス人技師のトーマス・グレイで、工事には約二年かかった。",
            "灯台の高さは十八メートルで、その光は二十キロ先まで届いた。",
            "彼は完成後、横浜に移り住んだ。",
        ],
    ),
    # travel / transport notice (Japanese)
    "ja_train": (
        "ja",
        [
            "台風の影響により、8月15日の新大阪行き「のぞみ21号」は運休となります。",
            "代わりに、10時15分発の臨時列車が12番線から運行されます。",
            "東京駅から新大阪駅までの所要時間は、通常より約40分長くなる見込みです。",
            "払い戻しは30日以内に駅の窓口で受け付けます。",
        ],
    ),
}


def _join(lang: str, sentences: list[str]) -> str:
    return (" " if lang == "en" else "").join(sentences)


DOCUMENTS: dict[str, str] = {k: _join(lang, s) for k, (lang, s) in SENTENCES.items()}
LANG: dict[str, str] = {k: lang for k, (lang, _) in SENTENCES.items()}

# --------------------------------------------------------------------------
# Questions: (document name, question, expected substring, tags)
# tags: pronoun = answer sentence names its subject by a pronoun only;
#       para = the question paraphrases the document's word;
#       distract = the answer sentence holds two numbers / names.
# --------------------------------------------------------------------------
QUESTIONS: list[tuple[str, str, str, str]] = [
    # news_bridge (4)
    (
        "news_bridge",
        "How long was the Harwick Street bridge closed?",
        "eleven weeks",
        "",
    ),
    (
        "news_bridge",
        "How much did the bridge repairs cost?",
        "$2.4 million",
        "distract",
    ),
    ("news_bridge", "Who opened the bridge?", "Dana Whitfield", "para"),
    (
        "news_bridge",
        "Why did the bridge repairs take longer than planned?",
        "shortage of steel beams",
        "pronoun para",
    ),
    # bio_osei (3)
    (
        "bio_osei",
        "In what year did Marguerite Osei move to Lisbon?",
        "1946",
        "distract",
    ),
    ("bio_osei", "What subject did Marguerite Osei study?", "botany", "pronoun"),
    ("bio_osei", "Who did Marguerite Osei marry?", "Tomas Ferreira", "pronoun"),
    # museum_customs (3)
    ("museum_customs", "When was the Old Customs House built?", "1784", ""),
    (
        "museum_customs",
        "How much does a ticket for a child cost?",
        "£4",
        "para distract",
    ),
    ("museum_customs", "What time does the museum close?", "5 p.m.", "distract para"),
    # science_char (3)
    ("science_char", "How many fish did the team test?", "412", "distract"),
    ("science_char", "Who led the research?", "Ingrid Halvorsen", "para"),
    (
        "science_char",
        "Why might this ability be useful to Arctic char?",
        "spawning rivers",
        "pronoun para",
    ),
    # sports_cup (3)
    ("sports_cup", "Who scored Castleford's goal?", "Leon Marsh", "distract"),
    ("sports_cup", "Who was named player of the match?", "Amir Haddad", "pronoun"),
    ("sports_cup", "How many spectators attended the match?", "8,200", "para"),
    # business_brightwell (3)
    (
        "business_brightwell",
        "How much revenue did Brightwell Foods report for the third quarter?",
        "$612 million",
        "distract",
    ),
    (
        "business_brightwell",
        "What was Brightwell Foods' net profit?",
        "$41 million",
        "distract",
    ),
    (
        "business_brightwell",
        "Why did Brightwell's net profit drop?",
        "cost of packaging",
        "para",
    ),
    # transport_harlow (4)
    (
        "transport_harlow",
        "Which platform will the 07:42 service leave from?",
        "Platform 4",
        "distract para",
    ),
    (
        "transport_harlow",
        "How often will trains run until 14:00?",
        "30 minutes",
        "distract",
    ),
    (
        "transport_harlow",
        "Where should passengers travelling to Stansted Airport change trains?",
        "Bishop's Stortford",
        "",
    ),
    (
        "transport_harlow",
        "How much longer than usual will journeys take?",
        "25 minutes",
        "",
    ),
    # medical_tablets (3)
    (
        "medical_tablets",
        "How often should adults take a tablet?",
        "eight hours",
        "distract",
    ),
    (
        "medical_tablets",
        "What is the maximum number of tablets that can be taken in a day?",
        "three",
        "para distract",
    ),
    ("medical_tablets", "How long does the course usually last?", "seven days", ""),
    # story_key (3)
    ("story_key", "What was the key made of?", "brass", "pronoun"),
    ("story_key", "Who did Nora show the key to?", "Felix", "pronoun para"),
    (
        "story_key",
        "Where did Nora and Felix find the sea chest?",
        "behind a wardrobe",
        "pronoun",
    ),
    # product_tablet (4)
    (
        "product_tablet",
        "How much does the 256 GB version of the Corvex T7 cost?",
        "$429",
        "pronoun distract",
    ),
    (
        "product_tablet",
        "How heavy is the Corvex T7 tablet?",
        "478 grams",
        "para distract",
    ),
    ("product_tablet", "How long does the battery last?", "14 hours", "distract"),
    (
        "product_tablet",
        "How long does the Corvex T7 take to charge fully?",
        "95 minutes",
        "distract",
    ),
    # zh_school (3)
    ("zh_school", "开学典礼在哪里举行？", "体育馆", ""),
    ("zh_school", "今年有多少名新生入学？", "420", "distract"),
    ("zh_school", "谁将在典礼上发表讲话？", "王建华", ""),
    # zh_history (3)
    ("zh_history", "林德明在哪里创办了茶叶出口公司？", "泉州", ""),
    ("zh_history", "公司刚成立时有多少名员工？", "十二", "para"),
    ("zh_history", "林德明后来把总部迁到了哪里？", "厦门", "pronoun"),
    # ja_lighthouse (3)
    ("ja_lighthouse", "浜崎の灯台を設計したのは誰ですか？", "トーマス・グレイ", ""),
    ("ja_lighthouse", "灯台の高さは何メートルですか？", "十八メートル", "distract"),
    (
        "ja_lighthouse",
        "トーマス・グレイは完成後どこに住みましたか？",
        "横浜",
        "pronoun para",
    ),
    # ja_train (3)
    ("ja_train", "臨時列車は何番線から出発しますか？", "12番線", "para distract"),
    ("ja_train", "所要時間は通常よりどのくらい長くなりますか？", "40分", ""),
    ("ja_train", "のぞみ21号はなぜ運休になりますか？", "台風", ""),
]

# --------------------------------------------------------------------------
# Templates per language: name -> template with {context} and {question}
# --------------------------------------------------------------------------
TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "stuff": (
            "Use the following pieces of context to answer the question at the end. "
            "If you don't know the answer, just say that you don't know, don't try to "
            "make up an answer.\n\n{context}\n\nQuestion: {question}\nHelpful Answer:"
        ),
        "chatml": (
            "<|im_start|>system\nYou are a helpful assistant. Answer the user's question "
            "using only the given context. Be brief.<|im_end|>\n"
            "<|im_start|>user\nContext:\n{context}\n\nQuestion: {question}<|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
        "llama3": (
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            "You are a helpful assistant that answers questions from the provided "
            "context only. Keep answers short.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\n"
            "Context:\n{context}\n\nQuestion: {question}<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n"
        ),
        "plain": "Context: {context}\n\nQuestion: {question}\nAnswer:",
        "own": (
            "### Instruction\nRead the passage below and reply to the question with a "
            "short answer, quoting the passage where you can.\n\n"
            "### Passage\n{context}\n\n### Question\n{question}\n\n### Response\n"
        ),
    },
    "zh": {
        "zh_plain": (
            "请根据以下内容回答问题。如果你不知道答案，就说不知道，不要编造答案。\n\n"
            "{context}\n\n问题：{question}\n答案："
        ),
        "zh_chatml": (
            "<|im_start|>system\n你是一个乐于助人的助手。请只根据提供的资料简短回答。<|im_end|>\n"
            "<|im_start|>user\n资料：\n{context}\n\n问题：{question}<|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
    },
    "ja": {
        "ja_plain": (
            "以下の文章を読んで、質問に答えてください。分からない場合は「分かりません」と"
            "答えてください。\n\n{context}\n\n質問：{question}\n回答："
        ),
        "ja_brackets": "【本文】\n{context}\n\n【質問】\n{question}\n\n【回答】\n",
    },
}


def fill(template: str, context: str, question: str) -> str:
    return template.replace("{context}", context).replace("{question}", question)


FAILURES: dict[str, str] = {
    "Who opened the bridge?": "answers 'Harwick Street': 'opened' vs 'cut the ribbon'",
    "Who scored Castleford's goal?": (
        "answers 'Striker Amir Haddad': 'through Leon Marsh' is not read as scoring"
    ),
    "What was Brightwell Foods' net profit?": (
        "answers the revenue sentence: names outweigh 'net profit'"
    ),
    "What is the maximum number of tablets that can be taken in a day?": (
        "answers the first sentence: 'in a day' vs 'in 24 hours'"
    ),
    "Who did Nora show the key to?": "answers 'the old': 'show ... to' vs 'took it to'",
    "トーマス・グレイは完成後どこに住みましたか？": (
        "answers '工事': '彼は' is not linked to トーマス・グレイ, '住み' vs '移り住んだ'"
    ),
}


def matches(expected: str, answer: str) -> bool:
    return expected.casefold() in (answer or "").casefold()


@pytest.mark.parametrize(
    ("doc", "question", "expected"),
    held_out_params(((d, q, e) for d, q, e, _tags in QUESTIONS), FAILURES),
)
def test_held_out_4(doc: str, question: str, expected: str) -> None:
    answers = [
        answer(fill(template, DOCUMENTS[doc], question))
        for template in TEMPLATES[LANG[doc]].values()
    ]
    assert [a for a in answers if not matches(expected, a)] == []
