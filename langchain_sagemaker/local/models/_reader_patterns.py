"""Span patterns for the reader: durations, times, amounts and reasons as regexes."""

from __future__ import annotations

import re

from langchain_sagemaker.local.models._reader_text import (
    CNUM,
    EN_NUMBER_WORDS,
    MONTHS,
    TIME_UNITS_EN,
    WEEKDAYS,
)

NUMBER_EN = (
    # no digits glued to letters: the "2" of a model name "X2" is not a number
    r"(?:(?:(?<![\w.])[-−])?(?<![A-Za-z])\d[\d,]*(?:\.\d+)?"
    # whole words only: no "one" in "drone", no "ten" in "often"
    rf"|\b(?i:(?:{EN_NUMBER_WORDS})(?:[-\s](?:{EN_NUMBER_WORDS}))?)\b)"
)

DURATION_EN = re.compile(
    r"(?i:\b(?:(?:for|over|about|around|nearly|almost|roughly|approximately|some"
    r"|at\s+least|more\s+than|less\s+than|just|only|another|a\s+further|up\s+to)"
    r"\s+){0,2})"
    r"(?:" + NUMBER_EN + r"(?i:[\s-]+(?:and\s+a\s+half\s+)?)"
    r"|(?i:a\s+couple\s+of\s+|a\s+few\s+|several\s+|many\s+|half\s+an?\s+|an?\s+))"
    r"(?i:(?:full|whole|long|more|consecutive|additional|straight|extra)\s+)?"
    rf"(?i:{TIME_UNITS_EN}\b(?:\s+and\s+a\s+half)?)(?![-\s]+old\b)"
)

DURATION_CJK = re.compile(
    "(?:约|大约|将近|近|超过|整整|足足|約|およそ|ほぼ)?"
    + CNUM
    + "(?:多|余)?(?:个多|个半|个)?半?"
    "(?:天|日間|日间|周|星期|礼拜|个月|か月|ヶ月|カ月|ヵ月|箇月|年間|年间|年|小时|時間|"
    "钟头|分钟|分間|分|秒钟|秒|晚|夜|泊|世纪|週間|日)(?:半|多)?"
)

TIME_EN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "date",
        re.compile(
            rf"\b(?:(?:{WEEKDAYS}),?\s+)?(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?"
            r"(?:,?\s+\d{4})?\b"
            rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{MONTHS})\.?"
            r"(?:,?\s+\d{4})?"
            r"|\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
        ),
    ),
    (
        "month",
        re.compile(
            rf"\b(?:(?i:early|late|mid-?)\s*)?(?:{MONTHS})\.?"
            r"(?:,?\s+(?:of\s+)?\d{4})?\b"
        ),
    ),
    (
        "year",
        re.compile(
            r"(?<![\d,.$£€¥])\b(?:(?i:the\s+)?(?:1\d|20)\d0s|(?:1\d{3}|20\d{2})"
            r"(?!\s*(?:%|percent))(?:\s?(?:BC|BCE|AD|CE)\b)?)(?!\d|[,.]\d)"
            r"|\b\d{1,4}\s?(?:BC|BCE|AD|CE)\b|\bAD\s?\d{1,4}\b"
        ),
    ),
    (
        "century",
        re.compile(
            r"(?i)\b(?:the\s+)?(?:early\s+|late\s+|mid-)?(?:\d{1,2}(?:st|nd|rd|th)"
            r"|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth"
            r"|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth"
            r"|eighteenth|nineteenth|twentieth|twenty-first)[\s-]+century\b"
        ),
    ),
    (
        "time",
        re.compile(
            r"(?i)\b\d{1,2}(?::\d{2})?\s?(?:a\.m\.|p\.m\.|am\b|pm\b|o'clock\b)"
            r"|\b\d{1,2}:\d{2}\b|\b(?:noon|midday|midnight|dawn|dusk|sunrise|sunset)\b"
        ),
    ),
    (
        "day",
        re.compile(
            rf"\b(?:(?i:last|next|this|every|that|early|late)\s+)?(?:{WEEKDAYS})"
            r"(?:\s+(?i:morning|afternoon|evening|night))?\b"
        ),
    ),
    (
        "relative",
        re.compile(
            r"(?i)\b(?:yesterday|today|tomorrow|tonight)\b"
            r"|\b(?:last|next|this|that|the\s+following|the\s+next|the\s+previous"
            r"|the\s+same|the\s+other|earlier\s+this|later\s+that)\s+(?:week|month|year"
            r"|night|morning|afternoon|evening|day|weekend|summer|winter|spring|autumn"
            r"|fall|season|decade|century)\b"
            r"|\b(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+few"
            r"|several|a\s+couple\s+of)\s+" + TIME_UNITS_EN + r"\s+(?:ago|later"
            r"|earlier|before|after|afterwards)\b"
            r"|\b(?:in|within)\s+(?:\d+|a|an|one|two|three|four|five|six|seven|eight"
            r"|nine|ten|a\s+few|several|a\s+couple\s+of)\s+" + TIME_UNITS_EN + r"\b"
            r"|\bin\s+the\s+(?:morning|afternoon|evening|night)\b|\bat\s+night\b"
            r"|\b(?:in|during|last|next|this)\s+(?:the\s+)?(?:early\s+|late\s+)?"
            r"(?:spring|summer|autumn|fall|winter)(?:\s+of\s+\d{4})?\b"
        ),
    ),
)

TIME_CJK_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "date",
        re.compile(
            "(?:[0-9０-９]{3,4}|[〇零一二三四五六七八九]{4})年(?:" + CNUM + "月)?"
            "(?:" + CNUM + "[日号])?"
            "|" + CNUM + "月" + CNUM + "[日号]"
        ),
    ),
    (
        "month",
        re.compile(
            "(?<![个か箇ヶカヵ])(?:[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})月(?:份)?(?![曜])"
        ),
    ),
    (
        "time",
        re.compile(
            "(?:上午|下午|晚上|早上|中午|凌晨|傍晚|夜里|午前|午後|朝|夜)?"
            + CNUM
            + "(?:点|點|時)(?!間)(?:半|"
            + CNUM
            + "分)?钟?"
        ),
    ),
    (
        "day",
        re.compile(
            "(?:上|下|这|本|每)?(?:星期|礼拜|周)[一二三四五六日天]|[月火水木金土日]曜日?"
        ),
    ),
    (
        "relative",
        re.compile(
            "昨天|今天|明天|前天|后天|去年|今年|明年|前年|后年|上周|下周|本周|上个月|下个月"
            "|这个月|昨日|今日|明日|先週|来週|今週|先月|来月|今月|昨年|来年|一昨年|当时|当年"
            "|那年|那天|春天|夏天|秋天|冬天|早上|上午|下午|晚上|中午|凌晨|夕方"
            "|"
            + CNUM
            + "(?:年|天|个月|周|日|週間|か月)(?:以前|以后|之后|之前|前|后|後)"
        ),
    ),
)

CJK_YEAR_LIKE = re.compile("^(?:[0-9０-９]{3,}|[〇零一二三四五六七八九]{3,})年")

QUANTITY_EN = re.compile(
    r"(?:(?i:about|around|nearly|almost|over|more\s+than|less\s+than|roughly"
    r"|approximately|exactly|only|just|some|up\s+to)\s+)?"
    r"(?:(?:US|A|C|HK|NZ)?[$€£¥₹]\s?\d[\d,]*(?:\.\d+)?"
    r"|"
    + NUMBER_EN
    + r")(?:\s?(?i:million|billion|trillion|thousand|hundred|bn|m|k)\b)?"
    r"(?:\s?(?:%|(?i:percent|per\s+cent)\b))?"
)

QUANTITY_CJK = re.compile(
    "(?:约|大约|近|超过|共|約|およそ|ほぼ)?"
    "(?:[0-9０-９][0-9０-９,，.．]*|[零〇一二两三四五六七八九十百千万亿億几半]+)"
    "(?:多|余)?(?:万|亿|億|千|百)?(?:多|余)?"
    "(?:人民币|美元|欧元|英镑|日元|平方米|平方公里|公里|千米|厘米|毫米|公斤|千克|"
    "パーセント|メートル|キロ|グラム|トン|ドル|ユーロ|个|人|名|位|元|块|本|件|张|辆|"
    "次|回|米|克|吨|岁|歳|%|％|座|家|所|台|只|头|条|份|瓶|杯|页|部|项|种|匹|枚|冊|"
    "個|軒|社|店|円|度|倍|层|階|票|分)"
)

BARE_NUMBER_CJK = re.compile("[0-9０-９][0-9０-９,，.．]*")

CURRENCY = re.compile(
    r"[$€£¥₹]|(?i:\b(?:dollars?|euros?|pounds?|yen|yuan|rupees?|cents?|usd|eur|gbp)\b)"
    "|美元|欧元|英镑|日元|元|块|円|ドル|ユーロ|人民币"
)

UNIT_CLASSES: dict[str, re.Pattern[str]] = {
    "weight": re.compile(
        r"(?i)\b(?:(?:kilo|milli)?grams?|kg|g|mg|pounds?|lbs?|ounces?|oz|tonnes?"
        r"|tons?)\b|公斤|千克|克|キロ(?:グラム)?|グラム|トン"
    ),
    "length": re.compile(
        r"(?i)\b(?:(?:kilo|centi|milli)?met(?:re|er)s?|km|cm|mm|m|miles?|feet|foot"
        r"|ft|inch(?:es)?|yards?|light[-\s]years?|parsecs?|astronomical\s+units?)\b"
        r"|公里|千米|米|厘米|光年|メートル|キロ|センチ"
    ),
    "speed": re.compile(
        r"(?i)\b(?:km/h|kph|mph|knots?|m/s)\b|\bper\s+(?:hour|second)\b|时速|時速"
    ),
    "temperature": re.compile(r"(?i)°|\bdegrees?\b|度"),
}
"""The units of each measured quantity (see ``_reader_question.MEASURES``)."""

FREQUENCY_EN = re.compile(
    r"(?i)\bevery\s+(?:(?:\d+|other|few|two|three|four|five|six|eight|ten|twelve"
    r"|twenty|thirty)\s+)?(?:seconds?|minutes?|hours?|days?|nights?|weeks?|months?"
    r"|years?|morning|evening|weekday|weekend)\b"
    r"|\b(?:once|twice|\w+\s+times)\s+(?:a|an|per|each)\s+(?:second|minute|hour"
    r"|day|night|week|month|year)\b|\b(?:hourly|daily|nightly|weekly|fortnightly"
    r"|monthly|quarterly|yearly|annually)\b"
)
"""How often: "every eight hours", "twice a day", "weekly"."""

AGE_SPAN = re.compile(r"(?i)[\s-]+years?[\s-]+old\b|^aged?\b|岁|歳")

REASON_EN = re.compile(
    r"(?i)\b(?:because(?:\s+of)?|due\s+to|owing\s+to|thanks\s+to|as\s+a\s+result\s+of"
    r"|since|so\s+that|in\s+order\s+to)\b"
)

PURPOSE_EN = re.compile(
    r"(?i)\b(?:built|designed|made|created|developed|used|intended|meant|set\s+up"
    r"|founded|opened|launched)\b[^.;]{0,60}?\b(to\s+(?-i:[a-z]{3,}))\b"
    r"|\b((?:helps?|allows?|enables?|lets?)\s+(?-i:[a-z]+\s+)?(?:to\s+)?(?-i:[a-z]{3,}))\b"
)
"""A purpose, when no "because" gives a reason: "was designed ... to carry
timber", "the ability helps them find their way"."""

REASON_CJK = re.compile("因为|因為|由于|由於")

REASON_JA = re.compile("ため|ので|から")

UNAMBIGUOUS_REASON_JA = re.compile("ため|ので")
"""The Japanese reason markers that are never "from" ("から" is both)."""

CONSEQUENCE_START = re.compile(
    r"(?i)^(?:so|therefore|thus|hence|consequently|as\s+a\s+result|that\s+is\s+why"
    r"|this\s+is\s+why)\b|^(?:因此|所以|因而|于是|そのため|だから|それで)"
)

EXPLANATION_START = re.compile(
    r"(?i)^(?:this|that|it)\s+(?:was|is)\s+because\b|^the\s+reason\b|^(?:这是因为|原因是)"
)

CJK_PLACE = re.compile(
    "(?:在|到|去|往|于|於|从|位于|来自|に|で|へ|から)"
    "([^\\s，。、！？,.!?的了在和与]{1,8}"
    "(?:市|省|县|区|镇|村|国|州|岛|山|河|湖|路|街|医院|学校|大学|公司|家|店|馆|站|机场|"
    "酒店|中心|公园|广场|寺|城|病院|駅|空港|会社|ホテル|公園|町|県|府|都))"
)
