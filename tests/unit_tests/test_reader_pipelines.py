"""Run the reader as the LLM of the map_reduce and refine QA chains, in pure Python.

A document is a list of self-contained paragraphs on one topic: the answer,
distractors of the same type (other dates, amounts, names) and filler. For each
of three seeds the paragraphs are shuffled (so the answer lands in a different
chunk) and packed into about six, then about three chunks (a paragraph too long
for a chunk is split at sentence ends, so a pronoun may lose its name), then
fed through the chains' default prompts as the chains format them. Each case
asserts that the final answer holds the expected span in all six layouts.

Three sets: a tuning set, a held-out set written before the chain steps were
built, and a second held-out set written after all tuning.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import pytest

from langchain_sagemaker.chains import (
    COMBINE_PROMPT,
    MAP_PROMPT,
    REFINE_INITIAL_PROMPT,
    REFINE_PROMPT,
)
from langchain_sagemaker.local.models.reader import answer

SEPARATOR = "\n\n"
"""What the chains put between documents (and between map extracts)."""

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")


@dataclass(frozen=True)
class Case:
    """One question over one document, with the span the answer must contain."""

    doc: str
    question: str
    expected: str

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.question[:36]}"


def shuffled(paragraphs: list[str], seed: int) -> list[str]:
    """The paragraphs in a seeded random order."""
    order = list(paragraphs)
    random.Random(seed).shuffle(order)
    return order


def chunk(paragraphs: list[str], size: int) -> list[str]:
    """Pack paragraphs into chunks of at most ``size`` characters.

    Like a recursive character splitter: whole paragraphs first, then sentences
    of a paragraph too long to fit alone.
    """
    pieces: list[str] = []
    for paragraph in paragraphs:
        if len(paragraph) <= size:
            pieces.append(paragraph)
            continue
        pieces.extend(s for s in _SENTENCE_END.split(paragraph) if s.strip())
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + len(SEPARATOR) + len(piece) <= size:
            chunks[-1] += SEPARATOR + piece
        else:
            chunks.append(piece)
    return chunks


def map_reduce(question: str, chunks: list[str]) -> tuple[list[str], str]:
    """The map answers and the combined final answer."""
    extracts = [answer(MAP_PROMPT.format(context=c, question=question)) for c in chunks]
    summaries = SEPARATOR.join(extracts)
    final = answer(COMBINE_PROMPT.format(question=question, summaries=summaries))
    return extracts, final


def refine(question: str, chunks: list[str]) -> list[str]:
    """The answer after each document (first the initial answer)."""
    current = answer(
        REFINE_INITIAL_PROMPT.format(context_str=chunks[0], question=question)
    )
    answers = [current]
    for text in chunks[1:]:
        current = answer(
            REFINE_PROMPT.format(
                question=question, existing_answer=current, context_str=text
            )
        )
        answers.append(current)
    return answers


def run(pipeline: str, question: str, chunks: list[str]) -> str:
    """The final answer of ``pipeline`` ("map_reduce" or "refine")."""
    if pipeline == "map_reduce":
        return map_reduce(question, chunks)[1]
    return refine(question, chunks)[-1]


# --------------------------------------------------------------------------
# Held-out set: written before the chain steps were built (its record is at
# HELD_OUT_FAILURES), and a second one written after all tuning.
# --------------------------------------------------------------------------

HELD_OUT_DOCS: dict[str, list[str]] = {
    "port": [
        "Marden is a port city on the northern coast. Its harbour has been used "
        "by fishermen and traders for more than eight centuries.",
        "The city's climate is mild and wet. Autumn storms sometimes close the "
        "harbour for a few days, and the ferries to the islands stop running.",
        "The new container terminal at Marden was designed by the architect "
        "Petra Lund. Construction of the terminal took 26 months and ended in "
        "March 2019.",
        "The container terminal cost 340 million euros, paid mostly by the "
        "regional government.",
        "The old terminal, built in 1961, was expanded twice. The second "
        "expansion took nine years and cost 80 million euros.",
        "The ferry company was founded by Jonas Brekke in 1923. Its ships still "
        "carry passengers to the three islands every morning.",
        "The port's maritime museum is housed in an old customs building. "
        "Visitors can see ship models, maps and a restored lighthouse lens.",
        "Marden's fishing fleet landed 12,000 tonnes of fish last year. Most of "
        "the catch is cod and herring, sold at the market in the early morning.",
        "The airport outside the city opened in May 1988 and serves about "
        "900,000 passengers a year.",
    ],
    "novel": [
        "Elena Varga grew up in a small town in Hungary. As a child she read "
        "everything she could find in the town library.",
        "Elena Varga wrote her first novel, The Salt Road, while living in "
        "Lisbon. She spent seven years writing the book.",
        "The Salt Road was published in October 2004 by Harrow Press. The "
        "publisher paid an advance of $15,000 for it.",
        "The cover of The Salt Road was illustrated by her friend Tomas Hale.",
        "Her second novel, Winter Harbour, took three years to write and was "
        "published in 2011. The film rights to it were sold for $40,000.",
        "In 2013 she moved to Berlin, where she taught creative writing at a "
        "private school for four years.",
        "Her agent, Ruth Klein, has represented her since 2006. Klein also "
        "represents several poets and a well-known travel writer.",
        "Critics praised the long descriptions of landscapes in her books. "
        "Some readers, however, found the endings too abrupt.",
    ],
    "race": [
        "The city marathon starts at the old stadium and follows the river "
        "through the centre. The course is flat and popular with first-time "
        "runners.",
        "This year's men's race was won by the Kenyan runner Daniel Kiprop. "
        "Kiprop finished the course in 2 hours and 6 minutes.",
        "The winner of the men's race received a first prize of 50,000 dollars.",
        "The women's race was won by Sara Tesfaye in 2 hours and 21 minutes. "
        "She received 30,000 dollars.",
        "The course record of 2 hours and 4 minutes was set in 2016 by Paul Lagat.",
        "Volunteers handed out water every five kilometres. About 12,000 runners "
        "took part, and most of them finished within six hours.",
    ],
    "teahouse": [
        "这座古城以茶文化闻名。城里的老人喜欢每天早上去茶馆喝茶聊天。",
        "这座茶馆由陈老先生于1998年创办。茶馆位于古城的东门附近。",
        "在茶馆里，一壶龙井的价格是六十元。",
        "陈老先生每天在茶馆工作十二个小时。",
        "城南的另一家茶馆开业于2005年，一壶普洱卖八十元。",
        "每年春天，古城都会举办为期三天的茶叶节，吸引了两万名游客。",
        "古城的城墙建于明朝，全长约六公里。",
    ],
    "bridge_ja": [
        "この町は川に沿って細長く広がっています。昔は舟で荷物を運んでいました。",
        "この橋は1932年に完成しました。建設には四年かかりました。",
        "橋の設計をしたのは技師の森田一郎です。",
        "橋の建設費は約二百万円でした。",
        "この橋は川口市の中心部にあります。",
        "隣の町の鉄道橋は1950年に造られ、工事に二年かかりました。",
        "毎年夏には橋の近くで花火大会が開かれ、約五万人が訪れます。",
    ],
}

HELD_OUT_CASES = [
    Case("port", "Who designed the new container terminal?", "Petra Lund"),
    Case("port", "How long did construction of the terminal take?", "26 months"),
    Case("port", "When did construction of the terminal end?", "March 2019"),
    Case("port", "How much did the container terminal cost?", "340 million"),
    Case("port", "Where is the port's maritime museum housed?", "customs building"),
    Case("novel", "Where did Elena Varga write her first novel?", "Lisbon"),
    Case("novel", "How long did she spend writing The Salt Road?", "seven years"),
    Case("novel", "When was The Salt Road published?", "October 2004"),
    Case("novel", "Who illustrated the cover of The Salt Road?", "Tomas Hale"),
    Case("novel", "How much was the advance for The Salt Road?", "$15,000"),
    Case("race", "Who won the men's race?", "Daniel Kiprop"),
    Case("race", "How long did it take Kiprop to finish the course?", "2 hours"),
    Case("race", "How much was the first prize of the men's race?", "50,000"),
    Case("teahouse", "这座茶馆是谁创办的？", "陈老先生"),
    Case("teahouse", "这座茶馆是什么时候创办的？", "1998年"),
    Case("teahouse", "这座茶馆位于哪里？", "东门"),
    Case("teahouse", "在这座茶馆，一壶龙井多少钱？", "六十元"),
    Case("teahouse", "陈老先生每天在茶馆工作多长时间？", "十二个小时"),
    Case("bridge_ja", "この橋はいつ完成しましたか？", "1932年"),
    Case("bridge_ja", "この橋の建設にはどのくらいかかりましたか？", "四年"),
    Case("bridge_ja", "この橋はどこにありますか？", "川口市"),
    Case("bridge_ja", "橋の設計をしたのは誰ですか？", "森田一郎"),
    Case("bridge_ja", "橋の建設費はいくらでしたか？", "二百万円"),
]


# A second held-out set, written after all tuning on the sets above and
# evaluated once: 246 of 300 runs passed. Not tuned on since, except that two
# plain bugs it showed were fixed ("1974 by ..." read as an amount, and "in the
# Arctic" not read as a place), giving 252 of 300; see HELD_OUT_2_FAILURES.
HELD_OUT_2_DOCS = {
    "vineyard": [
        "The Moreau vineyard covers twelve hectares on the slopes above the Loire. "
        "Its soil is chalky and drains quickly after rain.",
        "The vineyard was bought in 1974 by Claire Moreau, a former teacher from "
        "Tours. She paid 90,000 francs for the land and the old farmhouse.",
        "Claire replanted the vines herself. The work lasted three years, and the "
        "first bottles were sold in 1979.",
        "Today the estate is run by her son, Julien Moreau, who studied winemaking "
        "in Bordeaux.",
        "The estate's best wine is aged in oak barrels for eighteen months. A bottle "
        "costs 28 euros at the cellar door.",
        "A neighbouring estate was sold in 2015 for 2 million euros to an investor "
        "from Lyon.",
        "Harvest usually begins in late September and lasts about two weeks.",
    ],
    "satellite": [
        "The Aurora-3 satellite was designed to measure sea ice in the Arctic.",
        "It was built by the aerospace company Nordstar in Kiruna, Sweden.",
        "The satellite was launched on 14 February 2020 from French Guiana.",
        "The mission was planned to last five years, but the satellite stopped "
        "working after only 26 months because of a battery fault.",
        "The project's total budget was 310 million euros, shared by four countries.",
        "Its successor, Aurora-4, is expected to launch in 2027 and to operate for "
        "seven years.",
        "Data from the satellite are processed at a centre in Tromsø.",
    ],
    "theatre": [
        "The Royal Theatre in Bergen opened in 1876 with a performance of a "
        "comedy by Ludvig Holberg.",
        "The building was designed by the architect Anders Brun. Its main hall has "
        "800 seats and a painted ceiling.",
        "In 2004 the theatre closed for a major renovation. The renovation took two "
        "years and cost 45 million kroner.",
        "During the renovation, performances were held in a former fish market "
        "near the harbour.",
        "The theatre's longest-running play, a musical about fishermen, was "
        "performed 600 times.",
        "A smaller stage for children was added in 1998.",
    ],
    "hospital_zh": [
        "这家医院位于城市的西北部，是当地最大的综合医院。",
        "医院的新大楼于2019年建成，由设计师陈明负责设计。",
        "新大楼的建设用了两年半时间，总投资约八亿元。",
        "去年医院接待了大约一百二十万名病人。",
        "医院的老院长张伟在这里工作了三十五年。",
        "另一座旧楼建于1985年，目前正在改建。",
    ],
    "museum_ja": [
        "この美術館は海の近くにある小さな美術館です。",
        "美術館は1978年に開館しました。",
        "建物を設計したのは建築家の山口健です。",
        "入館料は大人八百円です。",
        "美術館の改装工事には一年半かかりました。",
        "隣の水族館は1990年に開館し、入館料は二千円です。",
    ],
}
HELD_OUT_2_CASES = [
    Case("vineyard", "Who bought the Moreau vineyard?", "Claire Moreau"),
    Case("vineyard", "When was the vineyard bought?", "1974"),
    Case("vineyard", "How much did Claire Moreau pay for the land?", "90,000 francs"),
    Case("vineyard", "How long did the replanting work last?", "three years"),
    Case("vineyard", "Where did Julien Moreau study winemaking?", "Bordeaux"),
    Case("satellite", "Which company built the Aurora-3 satellite?", "Nordstar"),
    Case("satellite", "When was the Aurora-3 satellite launched?", "14 February 2020"),
    Case("satellite", "For how long did the satellite work?", "26 months"),
    Case("satellite", "What was the total budget of the project?", "310 million"),
    Case("satellite", "Where are the satellite's data processed?", "Tromsø"),
    Case("theatre", "In which year did the Royal Theatre open?", "1876"),
    Case("theatre", "Who designed the building of the Royal Theatre?", "Anders Brun"),
    Case("theatre", "How long did the renovation take?", "two years"),
    Case("theatre", "How much did the renovation cost?", "45 million kroner"),
    Case(
        "theatre", "Where were performances held during the renovation?", "fish market"
    ),
    Case("hospital_zh", "医院的新大楼是谁设计的？", "陈明"),
    Case("hospital_zh", "医院的新大楼是什么时候建成的？", "2019年"),
    Case("hospital_zh", "新大楼的建设用了多长时间？", "两年半"),
    Case("hospital_zh", "新大楼的总投资是多少？", "八亿元"),
    Case("hospital_zh", "这家医院位于哪里？", "西北部"),
    Case("museum_ja", "美術館はいつ開館しましたか？", "1978年"),
    Case("museum_ja", "美術館の建物を設計したのは誰ですか？", "山口健"),
    Case("museum_ja", "美術館の入館料はいくらですか？", "八百円"),
    Case("museum_ja", "美術館の改装工事にはどのくらいかかりましたか？", "一年半"),
    Case("museum_ja", "この美術館はどこにありますか？", "海の近く"),
]


# --------------------------------------------------------------------------
# Tuning set
# --------------------------------------------------------------------------

FILLER = [
    "The town of Dorn lies in a wide valley surrounded by farmland. Most "
    "residents work in agriculture or in the small shops along the main street.",
    "Every autumn the valley hosts a harvest market. Farmers bring apples, "
    "cheese and honey, and musicians play in the square until late.",
    "The local school has about three hundred pupils. It was rebuilt after a "
    "fire and now has a modern library and a sports hall.",
    "Buses connect Dorn with the regional capital twice an hour. The journey "
    "takes roughly forty minutes in good weather.",
    "The surrounding hills are popular with walkers. Marked trails lead to "
    "old shepherd huts and a small lake.",
]

TUNING_DOCS: dict[str, list[str]] = {
    "kova": [
        *FILLER,
        "The bridge over the Kova river was closed for repairs. Engineers worked "
        "on the bridge for 11 weeks before it reopened to traffic.",
        "The repairs on the Kova bridge cost 2.4 million euros and were paid for "
        "by the national road agency.",
        "The work on the bridge was led by the engineer Marta Silva, who had "
        "previously restored two railway viaducts.",
        "The Kova bridge reopened to traffic on 3 June 2021.",
        "During the closure, drivers had to use a ferry at Lenz, a village ten "
        "kilometres downstream.",
        "A second bridge, upstream at Hollin, was built in 1974 in just 8 months "
        "at a cost of 600,000 euros.",
    ],
    "clinic": [
        "The Riverside Clinic opened its doors in 1995 as a small practice with "
        "two doctors. It now has a staff of forty.",
        "Last winter, Tom Baker slipped on the ice and broke his leg. He was "
        "treated at the Riverside Clinic, where he stayed for six days.",
        "The clinic's new wing was funded by a donation of $3 million from the "
        "Halden Foundation.",
        "The new wing was designed by architect Nora Quist and opened in "
        "September 2018.",
        "Patients who need surgery are transferred to St. Anne's Hospital in Bramford.",
        "The waiting room was renovated in 2009. The work took five months and "
        "cost $200,000.",
        "Visiting hours are from 2 pm to 8 pm every day.",
    ],
    "band": [
        "The Lanterns are a folk band from Galway. The band has four members "
        "and plays mostly traditional songs.",
        "Their debut album, Low Tide, was recorded in a converted church in "
        "Donegal. The recording sessions lasted three weeks.",
        "Low Tide was produced by Aidan Walsh, who had worked with several "
        "Irish folk singers.",
        "The album was released on 12 March 2015 and reached number four in "
        "the Irish charts.",
        "The band's first European tour took place in 2016 and lasted two "
        "months. Tickets cost 25 euros.",
        "In 2019 the band recorded a second album in London in just ten days.",
        "The fiddle player, Ciara Byrne, also teaches music at a school in Galway.",
    ],
    "expedition": [
        "The polar research station sits on a rocky peninsula. It is supplied "
        "by ship twice a year.",
        "The 2017 expedition was led by the glaciologist Ingrid Dahl. Her team "
        "drilled an ice core 900 metres deep.",
        "The drilling took 47 days and was completed in January 2018.",
        "The expedition was funded with a grant of 1.8 million dollars from the "
        "Arctic Science Council.",
        "The ice cores are stored in a freezer at the university in Tromsø.",
        "An earlier expedition in 2009 drilled for 30 days but reached only 300 "
        "metres.",
        "Winter temperatures at the station can fall to minus 45 degrees.",
    ],
    "bakery": [
        "Sunrise Bakery is a family business in the old quarter of Valencia. It "
        "sells bread, pastries and cakes.",
        "The bakery was founded by Lucia Moreno in 1987. She still bakes the "
        "bread herself every morning.",
        "The bakery moved to a larger shop on Calle Mayor in 2012.",
        "The move cost 90,000 euros and the shop was closed for three weeks.",
        "A loaf of sourdough costs 4 euros, and a croissant costs 1.50 euros.",
        "The bakery's almond cake won a regional prize in 2016. The recipe "
        "comes from Lucia's grandmother.",
        "On Sundays the bakery opens at 8 am and closes at noon.",
    ],
    "library_zh": [
        "这座城市位于长江下游，气候温和，四季分明。",
        "市图书馆由建筑师王建国设计，于2010年正式开放。",
        "图书馆的建设花了三年时间，总投资约两亿元。",
        "图书馆位于市中心的人民广场东侧。",
        "旧图书馆建于1958年，后来改成了档案馆。",
        "每年夏天，图书馆会举办为期两周的读书节，吸引了大约一万名读者。",
        "城市的公交系统非常发达，共有一百多条线路。",
    ],
    "school_ja": [
        "この村は山に囲まれた静かな村です。冬には雪がたくさん降ります。",
        "村の小学校は1905年に建てられました。",
        "山本先生はこの小学校で二十年間教えました。",
        "小学校の新しい体育館は村の東側にあります。",
        "新しい体育館の建設費は約三億円でした。",
        "体育館を設計したのは建築家の佐々木花子です。",
        "村の祭りは毎年十月に三日間行われます。",
    ],
    # A second batch, written after the first was tuned: 234 of 252 runs passed
    # on first evaluation, then it was tuned on too.
    "observatory": [
        "The Kessler Observatory stands on a ridge above the village of Orla. "
        "Clear skies and dry air make the site one of the best in the region for "
        "watching the stars.",
        "The observatory was built by the astronomer Hanna Kessler, who chose the "
        "ridge after testing several sites. Building the main dome took four years, "
        "and the telescope arrived in April 1931.",
        "The telescope cost 85,000 pounds, a huge sum at the time. Most of the money "
        "came from a wealthy shipowner in Hamburg.",
        "In 1962 the observatory added a radio antenna. The antenna was installed "
        "in six weeks by a team from Leiden.",
        "Today the observatory runs public nights every Friday. Tickets cost 12 "
        "pounds, and visitors can look through the old telescope.",
        "The village below has a bakery, a school and a small museum about the "
        "history of astronomy.",
        "A storm damaged the dome in 1990. Repairs took eight months and cost "
        "30,000 pounds.",
    ],
    "ferry": [
        "The island of Sola has no airport, so almost everyone arrives by ferry.",
        "The ferry service was started in 1958 by a fisherman named Erik Dahl. "
        "He ran the first boat himself for nineteen years.",
        "Today the crossing from the mainland port of Vik takes 50 minutes. "
        "A return ticket costs 18 euros for adults.",
        "In winter the ferry runs only three times a day, and storms sometimes "
        "cancel crossings for several days.",
        "A new electric ferry entered service in May 2022. It was built at a "
        "shipyard in Gdansk and cost 14 million euros.",
        "The old diesel ferry was sold to a company in Greece for 2 million euros.",
        "Many islanders work in tourism, fishing or at the small salmon farm on the "
        "north coast.",
    ],
    "festival_zh": [
        "这个小镇每年秋天都会举办一次音乐节。",
        "音乐节由当地的老师刘芳于2012年发起。",
        "今年的音乐节持续了五天，吸引了约三万名观众。",
        "音乐节的主舞台设在镇中心的河边广场。",
        "一张全程门票的价格是三百八十元。",
        "去年的音乐节只持续了三天，门票卖二百元。",
        "镇上还有一座建于清朝的古桥。",
    ],
    "hotel_ja": [
        "この温泉町は山の中にあり、昔から多くの旅人が訪れています。",
        "町で一番古い旅館は1890年に開業しました。",
        "旅館を始めたのは田村清という商人です。",
        "旅館は町の北の川沿いにあります。",
        "一泊の料金は二万円です。",
        "田村さんの孫は旅館で四十年間働きました。",
        "近くの新しいホテルは2015年に開業し、一泊一万五千円です。",
    ],
}

TUNING_CASES = [
    Case("kova", "How long did engineers work on the bridge?", "11 weeks"),
    Case("kova", "How much did the repairs on the Kova bridge cost?", "2.4 million"),
    Case("kova", "Who led the work on the bridge?", "Marta Silva"),
    Case("kova", "When did the Kova bridge reopen to traffic?", "3 June 2021"),
    Case("kova", "Where did drivers cross during the closure?", "Lenz"),
    Case("clinic", "How long did Tom Baker stay at the clinic?", "six days"),
    Case("clinic", "How much did the Halden Foundation donate?", "$3 million"),
    Case("clinic", "Who designed the new wing?", "Nora Quist"),
    Case("clinic", "When did the new wing open?", "September 2018"),
    Case("clinic", "Where are patients who need surgery transferred?", "St. Anne"),
    Case(
        "band", "How long did the recording sessions of Low Tide last?", "three weeks"
    ),
    Case("band", "Where was Low Tide recorded?", "Donegal"),
    Case("band", "Who produced Low Tide?", "Aidan Walsh"),
    Case("band", "When was Low Tide released?", "12 March 2015"),
    Case("band", "How much did tickets for the first European tour cost?", "25 euros"),
    Case("expedition", "How long did the drilling take?", "47 days"),
    Case("expedition", "Who led the 2017 expedition?", "Ingrid Dahl"),
    Case("expedition", "When was the drilling completed?", "January 2018"),
    Case("expedition", "Where are the ice cores stored?", "Tromsø"),
    Case("expedition", "How much was the grant for the expedition?", "1.8 million"),
    Case("bakery", "Who founded Sunrise Bakery?", "Lucia Moreno"),
    Case("bakery", "When was Sunrise Bakery founded?", "1987"),
    Case("bakery", "Where did the bakery move in 2012?", "Calle Mayor"),
    Case("bakery", "How long was the shop closed during the move?", "three weeks"),
    Case("bakery", "How much does a loaf of sourdough cost?", "4 euros"),
    Case("library_zh", "市图书馆是谁设计的？", "王建国"),
    Case("library_zh", "市图书馆是什么时候开放的？", "2010年"),
    Case("library_zh", "图书馆的建设花了多长时间？", "三年"),
    Case("library_zh", "图书馆位于哪里？", "人民广场"),
    Case("library_zh", "图书馆的总投资是多少？", "两亿元"),
    Case("school_ja", "山本先生はこの小学校で何年間教えましたか？", "二十年間"),
    Case("school_ja", "村の小学校はいつ建てられましたか？", "1905年"),
    Case("school_ja", "新しい体育館はどこにありますか？", "村の東側"),
    Case("school_ja", "体育館を設計したのは誰ですか？", "佐々木花子"),
    Case("school_ja", "新しい体育館の建設費はいくらでしたか？", "三億円"),
    # second batch
    Case("observatory", "Who built the Kessler Observatory?", "Hanna Kessler"),
    Case("observatory", "How long did building the main dome take?", "four years"),
    Case("observatory", "When did the telescope arrive?", "April 1931"),
    Case("observatory", "How much did the telescope cost?", "85,000 pounds"),
    Case("observatory", "Where does the Kessler Observatory stand?", "ridge"),
    Case(
        "observatory", "How long did it take to install the radio antenna?", "six weeks"
    ),
    Case("ferry", "Who started the ferry service?", "Erik Dahl"),
    Case("ferry", "How long does the crossing from Vik take?", "50 minutes"),
    Case("ferry", "How much does a return ticket cost?", "18 euros"),
    Case("ferry", "When did the new electric ferry enter service?", "May 2022"),
    Case("ferry", "Where was the new electric ferry built?", "Gdansk"),
    Case("festival_zh", "音乐节是谁发起的？", "刘芳"),
    Case("festival_zh", "今年的音乐节持续了多长时间？", "五天"),
    Case("festival_zh", "音乐节的主舞台设在哪里？", "河边广场"),
    Case("festival_zh", "一张全程门票多少钱？", "三百八十元"),
    Case("festival_zh", "音乐节是什么时候发起的？", "2012年"),
    Case("hotel_ja", "町で一番古い旅館はいつ開業しましたか？", "1890年"),
    Case("hotel_ja", "旅館を始めたのは誰ですか？", "田村清"),
    Case("hotel_ja", "旅館はどこにありますか？", "川沿い"),
    Case("hotel_ja", "旅館の一泊の料金はいくらですか？", "二万円"),
    Case("hotel_ja", "田村さんの孫は旅館で何年間働きましたか？", "四十年間"),
]

PIPELINES = ("map_reduce", "refine")
SEEDS = (0, 1, 2)
SPLITS = (6, 3)
"""Chunk sizes as fractions of the document: about six chunks, about three."""


def chunks_for(paragraphs: list[str], seed: int, parts: int) -> list[str]:
    """Shuffle the document with ``seed`` and cut it into about ``parts`` chunks."""
    order = shuffled(paragraphs, seed)
    size = max(1, sum(len(p) for p in order) // parts)
    return chunk(order, size)


def outcome(docs: dict[str, list[str]], case: Case, pipeline: str) -> list[str]:
    """The final answers over all seeds and chunkings."""
    return [
        run(pipeline, case.question, chunks_for(docs[case.doc], seed, parts))
        for seed in SEEDS
        for parts in SPLITS
    ]


def _fails(docs: dict[str, list[str]], case: Case, pipeline: str) -> list[str]:
    """The wrong final answers, one per failing seed and chunking."""
    return [a for a in outcome(docs, case, pipeline) if case.expected not in a]


@pytest.mark.parametrize("pipeline", PIPELINES)
@pytest.mark.parametrize("case", TUNING_CASES, ids=lambda c: c.id)
def test_pipeline_finds_the_answer(case: Case, pipeline: str) -> None:
    assert _fails(TUNING_DOCS, case, pipeline) == []


# Held-out (case, pipeline) pairs the reader gets wrong, with the reason (an
# xfail, strict). Kept visible on purpose: the held-out set is not tuned on.
#
# First evaluation, right after tuning on TUNING_CASES: 252 of 276 runs
# (23 cases x 2 pipelines x 6 layouts) passed. Five pairs failed: "Who designed
# the new container terminal?" (both pipelines: the agent bonus needed "by"
# right before the name, "by the architect Petra Lund" missed it), "この橋は
# どこにありますか？" (both: a slot anchored on a lone "は" read any topic as the
# answer) and "橋の設計をしたのは誰ですか？" (map_reduce: the same slot misread).
# Changes made for a later development batch (agents after a role noun; no
# slot from a lone particle) fixed all five; the first of them broke "Who won
# the men's race?" ("the Kenyan runner Daniel Kiprop" answered "Kenyan"),
# which was seen here and fixed (a capitalized modifier before a role noun is
# not the name), so that case is no longer strictly held out.
HELD_OUT_FAILURES: dict[tuple[str, str], str] = {}


HELD_OUT_2_FAILURES: dict[tuple[str, str], str] = {
    ("Which company built the Aurora-3 satellite?", "map_reduce"): (
        "'It was built by the aerospace company Nordstar' opens its chunk: 'It' "
        "is only guessed to be Aurora-3, and the sentence naming Aurora-3 "
        "outscores it and offers 'Arctic'"
    ),
    ("Which company built the Aurora-3 satellite?", "refine"): "as for map_reduce",
    ("Who designed the building of the Royal Theatre?", "map_reduce"): (
        "the sentence naming the Royal Theatre outscores 'The building was designed "
        "by the architect Anders Brun' (names weigh more than the verb), and "
        "offers 'a comedy by Ludvig Holberg'"
    ),
    ("Who designed the building of the Royal Theatre?", "refine"): (
        "as for map_reduce"
    ),
    ("医院的新大楼是谁设计的？", "map_reduce"): (
        "the slot's right anchor '设计' is found in '设计师' first, giving '2019年建成'"
    ),
    ("医院的新大楼是谁设计的？", "refine"): "as for map_reduce",
    ("美術館の入館料はいくらですか？", "map_reduce"): (
        "'水族館' shares '館' with '美術館', so the aquarium's fee sentence matches "
        "more of the question than '入館料は大人八百円です'"
    ),
    ("美術館の入館料はいくらですか？", "refine"): "as for map_reduce",
}


def _held_out_params(
    cases: list[Case], failures: dict[tuple[str, str], str]
) -> list[object]:
    params: list[object] = []
    for case in cases:
        for pipeline in PIPELINES:
            reason = failures.get((case.question, pipeline))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(
                pytest.param(case, pipeline, id=f"{case.id}-{pipeline}", marks=marks)
            )
    return params


@pytest.mark.parametrize(
    ("case", "pipeline"), _held_out_params(HELD_OUT_CASES, HELD_OUT_FAILURES)
)
def test_pipeline_held_out(case: Case, pipeline: str) -> None:
    assert _fails(HELD_OUT_DOCS, case, pipeline) == []


@pytest.mark.parametrize(
    ("case", "pipeline"), _held_out_params(HELD_OUT_2_CASES, HELD_OUT_2_FAILURES)
)
def test_pipeline_held_out_2(case: Case, pipeline: str) -> None:
    assert _fails(HELD_OUT_2_DOCS, case, pipeline) == []


def test_the_answer_lands_in_different_chunks() -> None:
    """The seeds really move the answer around (the tests see several layouts)."""
    all_docs = {**TUNING_DOCS, **HELD_OUT_DOCS, **HELD_OUT_2_DOCS}
    for case in TUNING_CASES + HELD_OUT_CASES + HELD_OUT_2_CASES:
        docs = all_docs
        where = set()
        for seed in SEEDS:
            chunks = chunks_for(docs[case.doc], seed, 6)
            assert len(chunks) >= 4
            where.add(next(i for i, c in enumerate(chunks) if case.expected in c))
        assert len(where) >= 2, case


def test_map_reduce_intermediate_answers() -> None:
    chunks = chunks_for(TUNING_DOCS["kova"], 0, 6)
    extracts, final = map_reduce("How long did engineers work on the bridge?", chunks)
    assert final == " for 11 weeks."
    assert extracts.count(" for 11 weeks.") == 1
    assert extracts.count(" I don't know.") >= len(chunks) - 3


def test_refine_keeps_the_answer_to_the_end() -> None:
    chunks = chunks_for(TUNING_DOCS["kova"], 1, 6)
    answers = refine("How long did engineers work on the bridge?", chunks)
    found = next(i for i, c in enumerate(chunks) if "11 weeks" in c)
    assert all(a == " for 11 weeks." for a in answers[found:])
    assert all("11 weeks" not in a for a in answers[:found])
