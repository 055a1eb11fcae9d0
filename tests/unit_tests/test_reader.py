"""Tests for the extractive reader model."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_sagemaker.local.models import get_model
from langchain_sagemaker.local.models.base import Model
from langchain_sagemaker.local.models.reader import ReaderModel, answer

# --------------------------------------------------------------------------
# Templates used by the main (tuning) set
# --------------------------------------------------------------------------

T_USE = (
    "Use the following pieces of context to answer the question at the end."
    "\n\n{context}\n\nQuestion: {question}\nAnswer:"
)
T_STUFF = (
    "Use the following pieces of context to answer the question at the end. If you "
    "don't know the answer, just say that you don't know, don't try to make up an "
    "answer.\n\n{context}\n\nQuestion: {question}\nHelpful Answer:"
)
T_ZH = "使用以下上下文片段来回答最后的问题。\n\n{context}\n\n问题：{question}\n答案："
T_JA = "以下の文脈を使って、最後の質問に答えてください。\n\n{context}\n\n質問：{question}\n回答："
T_QA = "Context:\n{context}\nQ: {question}\nA:"
T_BARE = "{context}\n\n{question}"
T_EXTRA = (
    "You are a helpful assistant. Answer concisely using only the context below."
    "\n\nContext:\n{context}\n\nQuestion: {question}\nKeep the answer short.\nAnswer:"
)
T_QFIRST = (
    "Answer the question using the context.\nQuestion: {question}\n"
    "Context: {context}\nAnswer:"
)

T_CTX = (
    "Answer based on the context.\n\nContext:\n{context}\n\n"
    "Question: {question}\nAnswer:"
)
T_ZH2 = "根据以下内容回答问题。\n\n{context}\n\n问题：{question}\n回答："
T_JA2 = "以下の情報に基づいて質問に答えてください。\n\n{context}\n\n質問：{question}\n答え："

EIFFEL = (
    "The Eiffel Tower was built for the 1889 World's Fair in Paris. Gustave "
    "Eiffel's company designed and constructed it in about two years. At 300 "
    "metres, it was the tallest structure in the world until 1930."
)
HASTINGS = (
    "The Battle of Hastings took place on 14 October 1066. William of Normandy "
    "defeated King Harold II, who was killed during the fighting. William was "
    "crowned king of England on Christmas Day of the same year."
)
HADRIAN = (
    "The Roman emperor Hadrian ordered the construction of a wall across northern "
    "Britain in AD 122. The wall was 117 kilometres long. Soldiers from the "
    "garrison at Vindolanda wrote letters on wooden tablets."
)
NORTHWIND = (
    "Northwind Traders reported revenue of $4.2 million in 2022, up from $3.1 "
    "million in 2021. The company employs 85 people at its headquarters in "
    "Denver. Its CEO, Laura Chen, joined the firm in 2015."
)
ACME = (
    "Acme Corp was founded in 1999 by two brothers in Ohio. It started by making "
    "garden tools.\n\nIn 2010, Acme acquired BrightLight, a lighting startup, for "
    "$12 million. The deal took eight months to complete.\n\nAcme now sells its "
    "products in 40 countries."
)
DRONE = (
    "The Heron V3 drone weighs 900 grams and flies for 35 minutes. Its camera "
    "records at 60 frames per second. The drone sells for €499. A second battery "
    "is €79, and a carrying case costs €35. Owners can fly it up to 8 kilometres "
    "away on one charge."
)
LIBRARY = (
    "The Eastgate Library is open from 9 a.m. until 8 p.m. on weekdays. Its "
    "reading room closes an hour earlier. Members may borrow up to twelve books "
    "and must return them every three weeks."
)
BOILING = (
    "Water boils at 100 degrees Celsius at sea level. At higher altitudes, the "
    "boiling point is lower because air pressure decreases. On Mount Everest, "
    "water boils at about 70 degrees Celsius."
)
CURIE = (
    "Marie Curie was born in Warsaw in 1867. She moved to Paris to study physics "
    "at the Sorbonne. In 1903 she shared the Nobel Prize in Physics with Pierre "
    "Curie and Henri Becquerel."
)
TOUR = (
    "Our tour starts in Lisbon, where guests spend three nights in a boutique "
    "hotel. We then travel by train to Porto for two nights of wine tasting. The "
    "final stop is the Algarve coast, with four nights by the beach."
)
FERRY = (
    "The ferry to the island leaves at 7:45 am and returns at 6 pm. Tickets cost "
    "25 euros for adults and 12 euros for children."
)
WORLD_CUP = (
    "The 2018 World Cup final was played in Moscow on 15 July. France beat "
    "Croatia 4-2, with Kylian Mbappé scoring France's fourth goal. The tournament "
    "drew an average of 47,000 spectators per match."
)
BAKERY = (
    "Sarah Johnson started her bakery in 2012 in Portland.\n\nIn 2016, she opened "
    "a second location in Seattle. The Seattle shop was designed by her brother, "
    "Mark Johnson.\n\nIn 2019, Sarah published a cookbook that sold 50,000 copies."
)
COMPANY_ZH = "这家公司成立于2005年，总部位于深圳。公司目前有员工3000人，去年的营业收入达到50亿元。"
XIAOMING = (
    "小明上周去上海出差。他在上海待了五天，参加了三场会议。回到北京后，他写了一份报告。"
)
SUZUKI = (
    "鈴木さんは2010年に東京大学を卒業しました。その後、大阪の銀行で8年間働きました。"
)

RAINFOREST_DOCS = (
    "Document 1:\nThe Amazon rainforest covers about 5.5 million square kilometres. It "
    "spans nine countries, with 60% in Brazil.\n\nDocument 2:\nThe Sahara is the "
    "largest hot desert in the world. It covers 9.2 million square kilometres across "
    "North Africa.\n\nDocument 3:\nThe Gobi Desert lies in northern China and "
    "southern Mongolia. Temperatures there can drop to -40 degrees in winter."
)
STORE_FIELDS = (
    "- Store hours: 9 am to 5 pm, Monday to Saturday\n"
    "- Location: 12 Main Street, Springfield\n"
    "- Phone: 555-0100"
)
MUSEUM = (
    "The museum was damaged by an earthquake in 1994. Repairs took three years and "
    "cost $20 million. The museum reopened in 1997 under director Helen Park, who "
    "had joined from the British Museum."
)
BEATLES = (
    "In 1969, the Beatles played their last public concert on the roof of Apple "
    "Corps in London. The performance lasted 42 minutes before police arrived."
)
AGES = "Anna is 34 years old and her brother Ben is 29."
REVENUE = "Revenue rose 15% to $3.5 billion last year, while profit fell 4%."
ICELAND = (
    "Last summer, Lisa and her sister visited Iceland. They stayed in Reykjavik for "
    "a week and then drove around the island for ten days."
)
COMMITTEE = "The committee will meet again in two weeks to review the proposal."
WRIGHT = (
    "The Wright brothers made the first powered flight at Kitty Hawk, North "
    "Carolina, on December 17, 1903. The flight lasted 12 seconds."
)
APPLE_ZH = "苹果公司由史蒂夫·乔布斯等人于1976年创立，总部位于加利福尼亚州库比蒂诺。"
SATO = "佐藤さんは先週、友達と京都へ旅行しました。京都には三日間滞在しました。"
YAMADA = "山田さんは毎朝7時に起きて、8時に家を出ます。会社まで電車で40分かかります。"


DEV_1 = (
    "The Tour de France covers about 3,500 kilometres over 21 stages. The "
    "2023 race was won by Jonas Vingegaard of Denmark, who finished 7 minutes "
    "and 29 seconds ahead of Tadej Pogačar."
)
DEV_2 = (
    "Penicillin was discovered in 1928 by Alexander Fleming at St Mary's "
    "Hospital in London. It was not mass-produced until the 1940s, when it "
    "was used to treat soldiers during World War II."
)
DEV_3 = (
    "Our startup raised $2.5 million in seed funding from three investors in "
    "January. We plan to hire 15 engineers over the next six months and open "
    "an office in Berlin."
)
DEV_4 = (
    "The volcano Krakatoa erupted in August 1883. The explosion was heard "
    "4,800 kilometres away, and the ash cooled global temperatures for five "
    "years."
)
DEV_5 = (
    "Grace Hopper joined the Navy Reserve in 1943. She later worked on the "
    "Harvard Mark I computer and developed one of the first compilers."
)
DEV_6 = (
    "The restaurant is open from Tuesday to Sunday. It is closed on Mondays "
    "because the chef visits the market."
)
DEV_7 = (
    "The hike to the summit takes about five hours. Most hikers start at 6 am "
    "to avoid the afternoon heat."
)
DEV_8 = (
    "Mia moved from Toronto to Sydney in 2018. She has worked as a nurse at "
    "Royal Prince Alfred Hospital for four years."
)
DEV_9 = (
    "黄山位于安徽省南部，以奇松、怪石、云海闻名。登上黄山光明顶大约需要四"
    "个小时。每年约有三百万游客前来游览。"
)
DEV_10 = (
    "2022年，张华在上海创办了一家科技公司。公司的第一个产品由李明设计，售价为299元。"
)
DEV_11 = (
    "東京スカイツリーは2012年に開業しました。高さは634メートルで、"
    "世界一高いタワーです。"
)
DEV_12 = "鈴木先生は大学で30年間数学を教えました。退職後は北海道に住んでいます。"

CASES: list[tuple[str, str, str, str]] = [
    # history
    (T_USE, EIFFEL, "How long did it take to construct the Eiffel Tower?", "two years"),
    (
        T_USE,
        EIFFEL,
        "What year was the Eiffel Tower built for the World's Fair?",
        "1889",
    ),
    (T_STUFF, HASTINGS, "Who defeated King Harold II?", "William of Normandy"),
    (
        T_STUFF,
        HASTINGS,
        "When did the Battle of Hastings take place?",
        "14 October 1066",
    ),
    (T_QA, HADRIAN, "Who ordered the construction of the wall?", "Hadrian"),
    (T_QA, HADRIAN, "How long was the wall?", "117 kilometres"),
    # business
    (
        T_EXTRA,
        NORTHWIND,
        "How much revenue did Northwind Traders report in 2022?",
        "$4.2 million",
    ),
    (T_EXTRA, NORTHWIND, "Where is the headquarters of Northwind Traders?", "Denver"),
    (T_EXTRA, NORTHWIND, "How many people does the company employ?", "85 people"),
    (T_EXTRA, NORTHWIND, "When did Laura Chen join the firm?", "2015"),
    (
        T_USE,
        ACME,
        "How long did the BrightLight deal take to complete?",
        "eight months",
    ),
    (T_USE, ACME, "How much did Acme pay for BrightLight?", "$12 million"),
    (T_USE, ACME, "In how many countries does Acme sell its products?", "40 countries"),
    (T_USE, ACME, "Who founded Acme Corp?", "two brothers"),
    (T_USE, ACME, "When did Acme acquire BrightLight?", "2010"),
    # amounts: money for a price, each amount with its own clause, no digits of
    # a model name ("V3"), and "how far on one charge" is not a price
    (T_STUFF, DRONE, "What is the price of the Heron V3 drone?", "€499"),
    (T_QA, DRONE, "How much does a second battery cost?", "€79"),
    (T_QA, DRONE, "How much is the carrying case?", "€35"),
    (T_CTX, DRONE, "How far can the Heron V3 fly on one charge?", "8 kilometres"),
    (T_USE, DRONE, "How many frames per second does the camera record?", "60 frames"),
    # a range's end for "close", its start for "open"; "how often": "every ..."
    (T_USE, LIBRARY, "When does the Eastgate Library open on weekdays?", "9 a.m."),
    (T_QA, LIBRARY, "What time does the library close on weekdays?", "8 p.m."),
    (T_CTX, LIBRARY, "How often must members return their books?", "every three weeks"),
    # science
    (
        T_BARE,
        BOILING,
        "Why is the boiling point lower at higher altitudes?",
        "air pressure decreases",
    ),
    (
        T_BARE,
        BOILING,
        "At what temperature does water boil on Mount Everest?",
        "70 degrees",
    ),
    (T_STUFF, CURIE, "Where was Marie Curie born?", "Warsaw"),
    (T_STUFF, CURIE, "When did Marie Curie share the Nobel Prize in Physics?", "1903"),
    (T_STUFF, CURIE, "Where did Marie Curie study physics?", "Sorbonne"),
    (
        T_QA,
        "The human heart beats about 100,000 times a day. It pumps roughly 7,500 "
        "litres of blood daily through a network of vessels.",
        "How many times does the heart beat per day?",
        "100,000 times",
    ),
    (
        T_USE,
        "Mitochondria are often called the powerhouse of the cell. They produce most "
        "of the chemical energy needed to power the cell's reactions, stored in a "
        "molecule called ATP.",
        "What molecule stores the chemical energy produced by mitochondria?",
        "ATP",
    ),
    # travel
    (T_EXTRA, TOUR, "How long do guests stay in Porto?", "two nights"),
    (T_EXTRA, TOUR, "Where do guests spend three nights?", "Lisbon"),
    (T_BARE, FERRY, "How much does a ticket cost for children?", "12 euros"),
    (T_BARE, FERRY, "What time does the ferry leave?", "7:45 am"),
    (
        T_USE,
        "Kyoto was the capital of Japan for over a thousand years. Today it is "
        "famous for its temples, such as Kinkaku-ji, and for the Gion district, "
        "where geishas still perform.",
        "How long was Kyoto the capital of Japan?",
        "thousand years",
    ),
    (
        T_BARE,
        "The library opens at 9 am on weekdays and at 10 am on Saturdays. It is "
        "closed on Sundays.",
        "When does the library open on Saturdays?",
        "10 am",
    ),
    (
        T_USE,
        "After the concert, the band went back to their hotel. The drummer stayed at "
        "the venue to pack the equipment.",
        "Where did the drummer stay?",
        "the venue",
    ),
    # sports
    (T_STUFF, WORLD_CUP, "Who scored France's fourth goal?", "Kylian Mbappé"),
    (T_STUFF, WORLD_CUP, "Where was the 2018 World Cup final played?", "Moscow"),
    (
        T_STUFF,
        WORLD_CUP,
        "How many spectators attended each match on average?",
        "47,000",
    ),
    (
        T_QA,
        "Eliud Kipchoge ran the marathon in 1:59:40 in Vienna in October 2019. The "
        "event was not an official race, so the time was not recognized as a world "
        "record.",
        "Why was the time not recognized as a world record?",
        "not an official race",
    ),
    (
        T_EXTRA,
        "The tennis match lasted four hours and 54 minutes, the longest final in the "
        "tournament's history. Novak Djokovic won in five sets.",
        "How long did the tennis match last?",
        "four hours",
    ),
    (
        T_USE,
        "Jupiter is the largest planet in the solar system. Saturn is known for its "
        "bright rings. Mars is often called the Red Planet.",
        "Which planet is known for its bright rings?",
        "Saturn",
    ),
    # multi-paragraph with distractor dates and names
    (T_USE, BAKERY, "When did Sarah open the Seattle location?", "2016"),
    (T_USE, BAKERY, "Who designed the Seattle shop?", "Mark Johnson"),
    (T_USE, BAKERY, "How many copies did the cookbook sell?", "50,000 copies"),
    (
        T_QFIRST,
        "The volcano last erupted in 1991, covering nearby villages in ash. "
        "Scientists had warned residents two weeks before the eruption.",
        "When did the volcano last erupt?",
        "1991",
    ),
    # Chinese
    (
        T_ZH,
        "长城是中国古代的军事防御工程。明朝修建的长城全长约8851公里。每年有超过一千万游客参观长城。",
        "明朝修建的长城有多长？",
        "8851公里",
    ),
    (T_ZH, XIAOMING, "小明在上海待了多长时间？", "五天"),
    (T_ZH, XIAOMING, "小明上周去哪里出差？", "上海"),
    (T_ZH, COMPANY_ZH, "公司有多少员工？", "3000人"),
    (T_ZH, COMPANY_ZH, "这家公司是什么时候成立的？", "2005年"),
    (
        T_ZH,
        "李白是唐代著名的诗人，被称为“诗仙”。杜甫也是唐代诗人，被称为“诗圣”。",
        "谁被称为“诗圣”？",
        "杜甫",
    ),
    (
        T_ZH,
        "原定于本周六举行的足球比赛取消了。由于连续下了三天大雨，比赛被推迟到下周六。",
        "比赛为什么被推迟？",
        "大雨",
    ),
    # Japanese
    (
        T_JA,
        "富士山は日本で一番高い山で、高さは3776メートルです。毎年7月から9月まで登山シーズンがあり、"
        "約20万人が登ります。",
        "富士山の高さはどのくらいですか？",
        "3776メートル",
    ),
    (T_JA, SUZUKI, "鈴木さんは銀行で何年間働きましたか？", "8年間"),
    (T_JA, SUZUKI, "鈴木さんはいつ東京大学を卒業しましたか？", "2010年"),
    (
        T_JA,
        "この店のラーメンは一杯900円です。毎日100杯しか作りません。",
        "ラーメンはいくらですか？",
        "900円",
    ),
    # more English: documents with labels, fields, relative times, named places
    (
        T_USE,
        RAINFOREST_DOCS,
        "How large is the Sahara?",
        "9.2 million square kilometres",
    ),
    (T_USE, RAINFOREST_DOCS, "Where is the Gobi Desert?", "northern China"),
    (T_USE, RAINFOREST_DOCS, "What percentage of the Amazon is in Brazil?", "60%"),
    (T_USE, RAINFOREST_DOCS, "How cold can it get in the Gobi Desert?", "-40 degrees"),
    (T_STUFF, STORE_FIELDS, "Where is the store located?", "12 Main Street"),
    (T_STUFF, STORE_FIELDS, "What time does the store close?", "5 pm"),
    (T_USE, MUSEUM, "How long ago was the museum damaged?", "1994"),
    (T_USE, MUSEUM, "How long did the repairs take?", "three years"),
    (T_USE, MUSEUM, "Where did Helen Park come from?", "British Museum"),
    (
        T_USE,
        BEATLES,
        "In which city did the Beatles play their last public concert?",
        "London",
    ),
    (T_USE, BEATLES, "How long did the performance last?", "42 minutes"),
    (T_USE, AGES, "How old is Ben?", "29"),
    (T_USE, REVENUE, "By how much did revenue rise?", "15%"),
    (T_QA, ICELAND, "How long did they drive around the island?", "ten days"),
    (T_QA, COMMITTEE, "When will the committee meet again?", "in two weeks"),
    (T_EXTRA, WRIGHT, "Who made the first powered flight?", "Wright brothers"),
    (
        T_EXTRA,
        WRIGHT,
        "Where did the Wright brothers make the first powered flight?",
        "Kitty Hawk",
    ),
    (
        T_EXTRA,
        "WHO reported 1,200 new cases last week.",
        "How many new cases did WHO report?",
        "1,200 new cases",
    ),
    # more Chinese and Japanese: slot filling around the question word
    (T_ZH, APPLE_ZH, "苹果公司的总部在哪里？", "库比蒂诺"),
    (T_ZH, APPLE_ZH, "苹果公司是谁创立的？", "乔布斯"),
    (T_ZH, APPLE_ZH, "苹果公司是哪一年创立的？", "1976年"),
    (
        T_ZH,
        "会议将在北京国际会议中心举行，预计有500名代表参加。",
        "会议在哪里举行？",
        "北京国际会议中心",
    ),
    (
        T_ZH,
        "会议将在北京国际会议中心举行，预计有500名代表参加。",
        "有多少代表参加会议？",
        "500名",
    ),
    (T_JA, SATO, "佐藤さんは誰と旅行しましたか？", "友達"),
    (T_JA, SATO, "佐藤さんはどこへ旅行しましたか？", "京都"),
    (T_JA, SATO, "佐藤さんは京都に何日滞在しましたか？", "三日間"),
    (T_JA, YAMADA, "山田さんは何時に家を出ますか？", "8時"),
    (T_JA, YAMADA, "会社まで電車でどのくらいかかりますか？", "40分"),
    # written as a fresh dev batch after tuning; 29/30 passed before one more fix
    (
        T_CTX,
        DEV_1,
        "Who won the 2023 race?",
        "Jonas Vingegaard",
    ),
    (
        T_CTX,
        DEV_1,
        "How many stages does the Tour de France have?",
        "21 stages",
    ),
    (
        T_CTX,
        DEV_1,
        "Which country is Jonas Vingegaard from?",
        "Denmark",
    ),
    (
        T_CTX,
        DEV_2,
        "Who discovered penicillin?",
        "Alexander Fleming",
    ),
    (
        T_CTX,
        DEV_2,
        "When was penicillin mass-produced?",
        "1940s",
    ),
    (
        T_CTX,
        DEV_2,
        "Where was penicillin discovered?",
        "St Mary's Hospital",
    ),
    (
        T_CTX,
        DEV_3,
        "How much did the startup raise?",
        "$2.5 million",
    ),
    (
        T_CTX,
        DEV_3,
        "How many engineers do they plan to hire?",
        "15 engineers",
    ),
    (
        T_CTX,
        DEV_3,
        "Where will they open an office?",
        "Berlin",
    ),
    (
        T_CTX,
        DEV_3,
        "When did the startup raise seed funding?",
        "January",
    ),
    (
        T_CTX,
        DEV_4,
        "How long did the ash cool global temperatures?",
        "five years",
    ),
    (
        T_CTX,
        DEV_4,
        "How far away was the explosion heard?",
        "4,800 kilometres",
    ),
    (
        T_CTX,
        DEV_5,
        "What did Grace Hopper develop?",
        "compilers",
    ),
    (
        T_CTX,
        DEV_6,
        "Why is the restaurant closed on Mondays?",
        "chef visits the market",
    ),
    (
        T_CTX,
        DEV_7,
        "Why do most hikers start at 6 am?",
        "avoid the afternoon heat",
    ),
    (
        T_CTX,
        DEV_7,
        "What time do most hikers start?",
        "6 am",
    ),
    (
        T_CTX,
        DEV_8,
        "Where does Mia work?",
        "Royal Prince Alfred Hospital",
    ),
    (
        T_CTX,
        DEV_8,
        "Where did Mia move from?",
        "Toronto",
    ),
    (
        T_CTX,
        DEV_8,
        "How long has Mia worked as a nurse?",
        "four years",
    ),
    (
        T_ZH2,
        DEV_9,
        "黄山位于哪里？",
        "安徽省",
    ),
    (
        T_ZH2,
        DEV_9,
        "登上光明顶需要多长时间？",
        "四个小时",
    ),
    (
        T_ZH2,
        DEV_9,
        "每年有多少游客？",
        "三百万",
    ),
    (
        T_ZH2,
        DEV_10,
        "公司的第一个产品是谁设计的？",
        "李明",
    ),
    (
        T_ZH2,
        DEV_10,
        "张华在哪里创办了公司？",
        "上海",
    ),
    (
        T_ZH2,
        DEV_10,
        "产品的售价是多少？",
        "299元",
    ),
    (
        T_ZH2,
        DEV_10,
        "张华是什么时候创办公司的？",
        "2022年",
    ),
    (
        T_JA2,
        DEV_11,
        "東京スカイツリーはいつ開業しましたか？",
        "2012年",
    ),
    (
        T_JA2,
        DEV_11,
        "東京スカイツリーの高さは何メートルですか？",
        "634メートル",
    ),
    (
        T_JA2,
        DEV_12,
        "鈴木先生は退職後どこに住んでいますか？",
        "北海道",
    ),
    (
        T_JA2,
        DEV_12,
        "鈴木先生は何年間数学を教えましたか？",
        "30年間",
    ),
]

# --------------------------------------------------------------------------
# Held-out set: written before the reader existed and never tuned on.
# --------------------------------------------------------------------------

H_RAG = (
    "Answer the question based only on the following context:\n{context}\n\n"
    "Question: {question}\n"
)
H_MD = "### Context\n{context}\n\n### Question\n{question}\n\n### Answer\n"
H_XML = "<context>\n{context}\n</context>\n\nQuestion: {question}"
H_CHAT = (
    "Human: Here is some information:\n{context}\n\n"
    "Based on that, {question}\n\nAssistant:"
)
H_ZH = "已知信息：\n{context}\n\n根据上述已知信息，简洁和专业地回答用户的问题。问题是：{question}"
H_JA = "次の文書に基づいて質問に答えてください。\n\n文書：\n{context}\n\n質問：{question}\n答え："
H_BARE = "{context}\n\n{question}"

HELD_OUT: list[tuple[str, str, str, str]] = [
    (
        H_RAG,
        "The Apollo 11 mission launched on July 16, 1969, from Kennedy Space Center. "
        "Neil Armstrong and Buzz Aldrin spent about 21 hours on the lunar surface "
        "while Michael Collins orbited above. The crew returned to Earth on July 24 "
        "and splashed down in the Pacific Ocean.",
        "How long did Armstrong and Aldrin stay on the lunar surface?",
        "21 hours",
    ),
    (
        H_MD,
        "The museum opened its doors in 1887 with a small collection of fossils. "
        "A new wing dedicated to modern art was added in 1962. Today it welcomes "
        "more than 400,000 visitors a year.",
        "When was the modern art wing added?",
        "1962",
    ),
    (
        H_XML,
        "Maria Lopez grew up in a small fishing village and studied engineering in "
        "Madrid.\n\nAfter graduating, she joined a solar energy startup. The company "
        "later relocated its research lab to Lisbon, where Maria led a team of "
        "twelve engineers.\n\nIn her free time she enjoys sailing and photography.",
        "Where did the company relocate its research lab?",
        "Lisbon",
    ),
    (
        H_CHAT,
        "The bridge was designed by the architect Sofia Brandt. Construction was "
        "managed by Karl Weber, who had previously built two dams. Mayor Linda Hart "
        "cut the ribbon at the opening ceremony in 2011.",
        "who managed the construction of the bridge?",
        "Karl Weber",
    ),
    (
        H_RAG,
        "The bakery sells a loaf of sourdough for $6 and a croissant for $3. On "
        "weekends, a box of twelve cookies costs $15. The owner opened a second "
        "shop in 2020.",
        "How much does a box of cookies cost on weekends?",
        "$15",
    ),
    (
        H_XML,
        "The expedition team consisted of 9 climbers and 14 porters. They carried "
        "300 kilograms of supplies. After 6 weeks, 7 climbers reached the summit.",
        "How many climbers reached the summit?",
        "7 climbers",
    ),
    (
        H_RAG,
        "The flight from Oslo was delayed by four hours. Airline staff explained "
        "that the delay happened because a snowstorm had closed the runway. "
        "Passengers received meal vouchers while they waited.",
        "Why was the flight delayed?",
        "snowstorm",
    ),
    (
        H_MD,
        "Photosynthesis is the process by which plants convert light energy into "
        "chemical energy. It takes place mainly in the chloroplasts of leaf cells. "
        "The main by-product of photosynthesis is oxygen.",
        "What is the main by-product of photosynthesis?",
        "oxygen",
    ),
    (
        H_CHAT,
        "The conference begins on Monday morning with a keynote at 9:30 am. Lunch "
        "is served at noon in the main hall. The closing panel starts at 4 pm on "
        "Wednesday.",
        "what time does the closing panel start?",
        "4 pm",
    ),
    (
        H_XML,
        "The Great Wall stretches for thousands of kilometers across northern "
        "China.\n\nConstruction of the Ming dynasty sections began in 1368. Workers "
        "spent nearly 200 years building and rebuilding these walls.",
        "For how long did workers build the Ming sections?",
        "200 years",
    ),
    (
        H_RAG,
        "Coach Daniel Reyes trained the team for the championship. In the final "
        "match, striker Amir Haddad scored the winning goal after a pass from "
        "Daniel's nephew, Tomas Reyes.",
        "Who scored the winning goal in the final match?",
        "Amir Haddad",
    ),
    (
        H_BARE,
        "After the accident, the driver was taken to the regional hospital. His "
        "passenger was treated at the scene by paramedics.",
        "Where was the driver taken after the accident?",
        "regional hospital",
    ),
    (
        H_ZH,
        "李娜去年春天搬到了杭州。她在一家茶叶公司工作了两年，之后开了自己的咖啡店。"
        "咖啡店每天早上八点开门。",
        "李娜在茶叶公司工作了多久？",
        "两年",
    ),
    (
        H_ZH,
        "这座图书馆建于1925年。2008年，图书馆进行了一次大规模翻修，增加了一个儿童阅览室。",
        "图书馆什么时候进行了大规模翻修？",
        "2008年",
    ),
    (
        H_ZH,
        "王强在北京出生，大学毕业后去了深圳工作。五年后，他在成都开了一家火锅店。",
        "王强在哪里开了火锅店？",
        "成都",
    ),
    (
        H_ZH,
        "这部电影由张艺谋执导，主演是巩俐。影片的音乐由谭盾创作。",
        "影片的音乐是谁创作的？",
        "谭盾",
    ),
    (
        H_ZH,
        "这家书店上个月卖出了1200本小说和300本漫画。一本小说的平均价格是45元。",
        "一本小说的平均价格是多少？",
        "45元",
    ),
    (
        H_JA,
        "田中さんは大阪の会社で働いています。先月、彼は出張で東京に5日間滞在しました。"
        "東京では新しい顧客と三回会議をしました。",
        "田中さんは東京にどのくらい滞在しましたか？",
        "5日間",
    ),
    (
        H_JA,
        "この寺は794年に建てられました。1950年に火事で焼けましたが、1955年に再建されました。",
        "寺はいつ再建されましたか？",
        "1955年",
    ),
    (
        H_JA,
        "そのコンサートには約3000人が来ました。チケットは一枚5000円でした。",
        "チケットはいくらでしたか？",
        "5000円",
    ),
    (
        H_BARE,
        "The treaty was signed on March 3, 2021, in Geneva. It came into force six "
        "months later, after ratification by all member states.",
        "On what date was the treaty signed?",
        "March 3, 2021",
    ),
    (
        H_RAG,
        "The stadium can hold 45,000 spectators. During the final, 52,000 fans "
        "watched on screens outside, and 3,000 police officers were on duty.",
        "How many police officers were on duty during the final?",
        "3,000",
    ),
    (
        H_MD,
        "Mount Kilimanjaro is the highest mountain in Africa.\n\nLake Victoria is "
        "the largest lake in Africa by area. It is shared by Kenya, Uganda and "
        "Tanzania.",
        "Which is the largest lake in Africa?",
        "Lake Victoria",
    ),
    (
        H_CHAT,
        "Sam lost his wallet last Tuesday on the bus. He found it two days later at "
        "the lost and found office.",
        "When did Sam lose his wallet?",
        "last Tuesday",
    ),
    (
        H_RAG,
        "The oldest tree in the park is an oak that is 350 years old. It was "
        "planted by the first mayor of the town.",
        "How old is the oldest tree in the park?",
        "350 years",
    ),
]


# --------------------------------------------------------------------------
# Held-out set 2: written after tuning on CASES, evaluated once, never tuned on.
# --------------------------------------------------------------------------

H2_SYS = (
    "System: Use only the documents to answer.\n\nDocuments:\n{context}\n\nUser "
    "question: {question}\nAssistant:"
)
H2_NUM = "[1] {context}\n\nAnswer this question: {question}"
H2_ZH = "请根据下面的资料回答问题。\n资料：{context}\n问题：{question}\n答："
H2_JA = "文脈：{context}\n\n質問：{question}\n回答："
H2_PLAIN = "{context}\n\nQ: {question}\nA:"
HO2_1 = (
    "The city council approved the new bike lanes on Tuesday. Construction "
    "will begin in April and is expected to last eight weeks. The project "
    "will cost about $1.2 million."
)
HO2_2 = (
    "Leonardo da Vinci painted the Mona Lisa between 1503 and 1519. The "
    "painting hangs in the Louvre in Paris and is protected by bulletproof "
    "glass."
)
HO2_3 = (
    "Honeybees communicate the location of flowers through a waggle dance. "
    "A colony can contain up to 60,000 bees, but only one queen."
)
HO2_4 = (
    "The match was postponed because heavy rain had flooded the pitch. It "
    "will now be played next Saturday at 3 pm."
)
HO2_5 = (
    "Carlos opened his first bakery in Lyon in 2011.\n\nFive years later, he "
    "moved to Montreal, where he opened a second bakery with his cousin, "
    "Ana Ruiz.\n\nThe Montreal shop now employs 14 people."
)
HO2_6 = (
    "The submarine cable between the two islands is 240 kilometres long. It "
    "was laid in 2016 by a Norwegian company and carries electricity from a "
    "wind farm."
)
HO2_7 = "故宫位于北京市中心，始建于1406年，是明清两代的皇家宫殿。故宫每天限流八万人。"
HO2_8 = "王老师在这所中学教了二十年语文。她的学生李雷后来成为了一名作家。"
HO2_9 = (
    "新しい図書館は駅の北側に建設されます。工事は来年の春に始まり、約二年"
    "かかる予定です。"
)
HO2_10 = "この町の人口は約一万二千人です。毎年八月に花火大会が開かれます。"

HELD_OUT_2: list[tuple[str, str, str, str]] = [
    (H2_SYS, HO2_1, "How long will construction last?", "eight weeks"),
    (H2_SYS, HO2_1, "When will construction begin?", "April"),
    (H2_SYS, HO2_1, "How much will the project cost?", "$1.2 million"),
    (H2_NUM, HO2_2, "Where does the Mona Lisa hang?", "Louvre"),
    (H2_NUM, HO2_2, "Who painted the Mona Lisa?", "Leonardo da Vinci"),
    (H2_PLAIN, HO2_3, "How many bees can a colony contain?", "60,000"),
    (
        H2_PLAIN,
        HO2_3,
        "How do honeybees communicate the location of flowers?",
        "waggle dance",
    ),
    (H2_PLAIN, HO2_4, "Why was the match postponed?", "heavy rain"),
    (H2_PLAIN, HO2_4, "When will the match be played?", "next Saturday"),
    (H2_SYS, HO2_5, "Who did Carlos open the second bakery with?", "Ana Ruiz"),
    (H2_SYS, HO2_5, "Where did Carlos open his first bakery?", "Lyon"),
    (H2_SYS, HO2_5, "How many people does the Montreal shop employ?", "14 people"),
    (H2_NUM, HO2_6, "What does the submarine cable carry?", "electricity"),
    (H2_ZH, HO2_7, "故宫始建于哪一年？", "1406年"),
    (H2_ZH, HO2_7, "故宫每天限流多少人？", "八万人"),
    (H2_ZH, HO2_8, "王老师在这所中学教了多久？", "二十年"),
    (H2_ZH, HO2_8, "谁后来成为了一名作家？", "李雷"),
    (H2_JA, HO2_9, "工事はどのくらいかかる予定ですか？", "二年"),
    (H2_JA, HO2_9, "新しい図書館はどこに建設されますか？", "駅の北側"),
    (H2_JA, HO2_10, "花火大会はいつ開かれますか？", "八月"),
]


# Held-out questions the reader gets wrong, with the reason. Kept visible on
# purpose: the held-out set measures generality and is not tuned on.
HELD_OUT_FAILURES = {
    "Where does the Mona Lisa hang?": (
        "'The painting hangs in the Louvre' only matches 'hangs'; the sentence "
        "naming 'Mona Lisa' scores far higher, and a weak bare-name place guess in "
        "it ('Leonardo da Vinci') wins"
    ),
    "Who did Carlos open the second bakery with?": (
        "the answer is in the next paragraph, where 'he' is not linked to Carlos; "
        "the first paragraph wins and offers the noun phrase 'his first'"
    ),
    "What does the submarine cable carry?": (
        "'It ... carries electricity' only matches 'carries'; the sentence naming "
        "the submarine cable wins ('it' is resolved for names only)"
    ),
}


def _case_id(case: tuple[str, str, str, str]) -> str:
    return case[2][:40]


def _held_out_params() -> list[object]:
    params: list[object] = []
    for case in HELD_OUT + HELD_OUT_2:
        reason = HELD_OUT_FAILURES.get(case[2])
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(case, id=_case_id(case), marks=marks))
    return params


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_reader_answers(case: tuple[str, str, str, str]) -> None:
    template, context, question, expected = case
    result = answer(template.format(context=context, question=question))
    assert expected in result


@pytest.mark.parametrize("case", _held_out_params())
def test_reader_held_out(case: tuple[str, str, str, str]) -> None:
    template, context, question, expected = case
    result = answer(template.format(context=context, question=question))
    assert expected in result


# --------------------------------------------------------------------------
# The canonical example, across prompt templates
# --------------------------------------------------------------------------

ELIZABETH = (
    "Peter and Elizabeth took a taxi to attend the night party in the city. While in "
    "the party, Elizabeth collapsed and was rushed to the hospital. Since she was "
    "diagnosed with a brain injury, the doctor told Peter to stay besides her until "
    "she gets well. Therefore, Peter stayed with her at the hospital for 3 days "
    "without leaving."
)
ELIZABETH_ZH = (
    "Peter 和 Elizabeth 打车去城里参加夜晚的派对。在派对上，Elizabeth 晕倒了，被紧急送往"
    "医院。由于被诊断出脑部受伤，医生告诉 Peter 一定要陪在她身边，直到她康复。因此，"
    "Peter 在医院陪伴她3天，没有离开。"
)
MAP_RERANK = (
    "Use the following pieces of context to answer the question at the "
    "end. If you don't know the answer, just say that you don't know, "
    "don't try to make up an answer.\n"
    "\n"
    "In addition to giving an answer, also return a score of how fully it "
    "answered the user's question. This should be in the following format:\n"
    "\n"
    "Question: [question here]\n"
    "Helpful Answer: [answer here]\n"
    "Score: [score between 0 and 100]\n"
    "\n"
    "How to determine the score:\n"
    "- Higher is a better answer\n"
    "- Better responds fully to the asked question, with sufficient level "
    "of detail\n"
    "- If you do not know the answer based on the context, that should be "
    "a score of 0\n"
    "- Don't be overconfident!\n"
    "\n"
    "Example #1\n"
    "\n"
    "Context:\n"
    "---------\n"
    "Apples are red\n"
    "---------\n"
    "Question: what color are apples?\n"
    "Helpful Answer: red\n"
    "Score: 100\n"
    "\n"
    "Example #2\n"
    "\n"
    "Context:\n"
    "---------\n"
    "it was night and the witness forgot his glasses. he was not sure if "
    "it was a sports car or an suv\n"
    "---------\n"
    "Question: what type was the car?\n"
    "Helpful Answer: a sports car or an suv\n"
    "Score: 60\n"
    "\n"
    "Begin!\n"
    "\n"
    "Context:\n"
    "---------\n"
    "{context}\n"
    "---------\n"
    "Question: {question}\n"
    "Helpful Answer:"
)
REFINE = (
    "The original question is as follows: {question}\nWe have provided an existing "
    "answer: I don't know.\nWe have the opportunity to refine the existing answer "
    "(only if needed) with some more context below.\n------------\n{context}\n"
    "------------\nGiven the new context, refine the original answer to better "
    "answer the question. If the context isn't useful, return the original answer."
)
OTHER_TEMPLATES = [
    T_USE,
    T_STUFF,
    T_QA,
    T_BARE,
    T_EXTRA,
    T_QFIRST,
    "You are an assistant for question-answering tasks. Use the following pieces of "
    "retrieved context to answer the question. If you don't know the answer, just say "
    "that you don't know. Use three sentences maximum and keep the answer concise.\n"
    "Question: {question} \nContext: {context} \nAnswer:",
    "<|system|>\nAnswer using the context.</s>\n<|user|>\nContext: {context}\n"
    "Question: {question}</s>\n<|assistant|>\n",
    "<s>[INST] <<SYS>>\nYou are a helpful assistant. Answer the question from the "
    "context.\n<</SYS>>\n\n{context}\n\n{question} [/INST]",
    # chat templates whose user turn is the bare question, closed by a marker
    "<|im_start|>system\nAnswer from the document.\n\nDocument:\n{context}"
    "<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n",
    "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{context}"
    "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n{question}<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n",
    "<start_of_turn>user\n{context}\n\n{question}<end_of_turn>\n<start_of_turn>model\n",
    "Use the following portion of a long document to see if any of the text is "
    "relevant to answer the question. \nReturn any relevant text verbatim.\n{context}\n"
    "Question: {question}\nRelevant text, if any:",
    "Context: {context} Question: {question} Answer:",
    "Q: What color is the sky?\nA: Blue.\n\nContext:\n{context}\nQ: {question}\nA:",
    "**Context:**\n{context}\n\n**Question:** {question}\n\n**Answer:**",
    MAP_RERANK,
    REFINE,
]


@pytest.mark.parametrize("template", OTHER_TEMPLATES)
def test_canonical_example_in_many_templates(template: str) -> None:
    prompt = template.format(
        context=ELIZABETH, question="How long was Elizabeth hospitalized?"
    )
    assert "3 days" in answer(prompt)


def test_canonical_example_chinese() -> None:
    prompt = T_ZH.format(context=ELIZABETH_ZH, question="Elizabeth 住院了多久？")
    assert "3天" in answer(prompt)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Where was Elizabeth rushed?", "hospital"),
        ("Who told Peter to stay besides her?", "the doctor"),
        ("Why did the doctor tell Peter to stay?", "brain injury"),
        ("What did Peter and Elizabeth take to the party?", "taxi"),
    ],
)
def test_canonical_context_other_questions(question: str, expected: str) -> None:
    assert expected in answer(T_STUFF.format(context=ELIZABETH, question=question))


def test_question_without_question_mark_after_marker() -> None:
    prompt = f"{ELIZABETH}\nQuestion: how long was Elizabeth hospitalized\nAnswer:"
    assert "3 days" in answer(prompt)


def test_english_answers_start_with_a_space_and_end_with_punctuation() -> None:
    result = answer(T_USE.format(context=ELIZABETH, question="How long did she stay?"))
    assert result.startswith(" ")
    assert result.endswith(".")


# --------------------------------------------------------------------------
# Fallbacks and robustness
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        "Tell me a joke",
        "",
        "   \n\n ",
        "Question:\nAnswer:",
        "What is love?",
        T_USE.format(
            context="The cat sat on the mat.", question="What is the GDP of Peru?"
        ),
    ],
)
def test_no_question_or_no_support_says_i_dont_know(prompt: str) -> None:
    assert answer(prompt) == " I don't know."


def test_fallback_follows_the_question_language() -> None:
    assert (
        answer(T_ZH.format(context="猫在垫子上。", question="秘鲁的首都是哪里？"))
        == "我不知道。"
    )
    assert (
        answer(
            T_JA.format(context="猫がいます。", question="ペルーの首都はどこですか？")
        )
        == "わかりません。"
    )


def test_instruction_boilerplate_is_not_an_answer() -> None:
    prompt = T_STUFF.format(
        context="The sky is blue.", question="What should you not try to make up?"
    )
    assert answer(prompt) == " I don't know."


def test_answer_is_deterministic() -> None:
    prompt = T_USE.format(context=BAKERY, question="Who designed the Seattle shop?")
    assert len({answer(prompt) for _ in range(5)}) == 1


_PIECES = st.sampled_from(
    [
        "Question:",
        "Q:",
        "A:",
        "Answer:",
        "问题：",
        "答案：",
        "質問：",
        "?",
        "？",
        "how long",
        "when",
        "who",
        "where",
        "why",
        "how many",
        "how much",
        "$",
        "3",
        "1999",
        "days",
        "the",
        "Peter",
        "in",
        "by",
        "。",
        ".",
        "\n",
        "\n\n",
        " ",
        "多久",
        "什么时候",
        "谁",
        "哪里",
        "为什么",
        "多少",
        "いつ",
        "どこ",
        "誰",
        "3天",
        "5日間",
        "年",
        "月",
        ",",
        "'s",
        "-",
        "<s>",
        "[INST]",
        "**",
        "#",
        "e\u0301",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",
        "\r",
        "\t",
        "Mr.",
        "p.m.",
        "Context:",
        "Location:",
        "because",
        "由",
        "在",
        "と",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(prompt: str) -> None:
    result = answer(prompt)
    assert isinstance(result, str)
    assert result


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES | st.text(max_size=6), max_size=50).map("".join))
def test_prompt_like_text_never_raises(prompt: str) -> None:
    result = answer(prompt)
    assert result
    assert "".join(ReaderModel().generate(prompt)) == result


@pytest.mark.parametrize(
    "prompt",
    [
        "a" * 5000,
        "A. " * 2000,
        "in the " * 1000 + "?",
        "Question: " * 500,
        "1," * 3000 + "?",
        "$1 " * 2000 + "How much?",
        "年" * 5000 + "？",
        "Peter " * 1000 + "who?",
    ],
)
def test_pathological_prompts_are_fast(prompt: str) -> None:
    start = time.perf_counter()
    answer(prompt)
    assert time.perf_counter() - start < 1.0


def test_two_kilobyte_prompt_takes_a_few_milliseconds() -> None:
    context = "\n\n".join([EIFFEL, HASTINGS, NORTHWIND, ACME, BOILING, CURIE, TOUR])
    prompt = T_STUFF.format(context=context, question="Who founded Acme Corp?")
    assert 1500 < len(prompt) < 2500
    timings = []
    for _ in range(20):
        start = time.perf_counter()
        answer(prompt)
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.005


# --------------------------------------------------------------------------
# The model object
# --------------------------------------------------------------------------


def test_reader_model_implements_the_protocol() -> None:
    model = ReaderModel()
    assert isinstance(model, Model)
    assert model.name == "reader"
    assert isinstance(get_model("reader"), ReaderModel)


def test_generate_yields_word_tokens_of_the_answer() -> None:
    prompt = T_USE.format(
        context=ELIZABETH, question="How long was Elizabeth hospitalized?"
    )
    tokens = list(ReaderModel().generate(prompt))
    assert "".join(tokens) == answer(prompt)
    assert " 3" in tokens
    assert " days" in tokens


def test_generate_yields_one_token_per_cjk_character() -> None:
    prompt = T_ZH.format(context=ELIZABETH_ZH, question="Elizabeth 住院了多久？")
    tokens = list(ReaderModel().generate(prompt))
    assert "天" in tokens
    assert "".join(tokens) == answer(prompt)
