"""A deterministic extractive question-answering model.

The reader takes whatever prompt a LangChain QA chain sends (instructions, one
or more context documents, a question and usually an answer cue), finds the
question, scores every context sentence against it and extracts the span that
answers the question type: a duration for "how long", a date for "when", a
place for "where", a name for "who", an amount for "how much" and the best
sentence otherwise. It handles English, Chinese and Japanese, never raises,
and gives the same answer for the same prompt every time.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from langchain_sagemaker.local.models.tokens import is_cjk, tokenize

__all__ = ["ReaderModel", "answer"]


def _wordset(words: str) -> frozenset[str]:
    """Return the whitespace-separated words of ``words`` as a set."""
    return frozenset(words.split())


def _pairs(text: str) -> dict[str, str]:
    """Parse ``"key:value key:value"`` into a dict."""
    return {key: value for key, _, value in (p.partition(":") for p in text.split())}


# --------------------------------------------------------------------------
# Lexicons
# --------------------------------------------------------------------------

_STOPWORDS = _wordset(
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
_SENTENCE_STARTERS = _wordset(
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
_IRREGULAR = _pairs(
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
_PLURAL_NOUNS = _wordset("men women children people feet mice")
_PLACE_WORDS = _wordset(
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
_BARE_PLACES = _wordset(
    """
    home school church work bed sea town college hospital prison court class
    abroad downtown overseas
    """
)
_DETERMINERS = _wordset("the a an his her their its our my your this that these those")
_PLACE_PREPOSITIONS = _wordset(
    """
    in at to from into near inside outside on across through toward towards
    around within behind beside throughout opposite along onto
    """
)
_TIME_NOUNS = _wordset(
    """
    morning afternoon evening night noon midnight day days week weeks month
    months year years decade decades century centuries spring summer autumn fall
    winter weekend moment time hour hours minute minutes second seconds past
    future beginning end meantime january february march april may june july
    august september october november december monday tuesday wednesday thursday
    friday saturday sunday
    """
)
_NAME_PARTICLES = _wordset("of de del della di da van von der den la le al bin")
_CJK_STOP_CHARS = frozenset(
    "的了在是和有吗呢把被个这那她他它们我你也都就而与及或之其吧啊呀么还又很从到对为将"
    "让给向于以吗嗎們這個與為於會"
    "ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでと"
    "どなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑ"
    "をんゔ、，。！？「」『』（）・：；"
)
_CJK_FUNCTION_CHARS = frozenset(
    "由被是在到去为于了的和与把让给向从に是はがをでとへもの"
)
_CJK_FILLER = re.compile(
    "(?:位于|位於|设在|设于|坐落于|坐落在|地处|来自|[由被是在到去为于了的和与把让给向从"
    "にはがをでとへもの将会要正已曾还就都也\\s])+"
)
_JA_PARTICLE = re.compile("から|まで|[とにへでをが]")
_MAX_SLOT_CHARS = 12
_CJK_INTERROGATIVES = re.compile(
    "什么|什麼|怎么|怎麼|怎样|如何|哪里|哪儿|哪裡|哪|谁|誰|多少|几|吗|嗎|呢|いつ|どこ|だれ|どなた|"
    "なに|なん|何|どう|どの|どれ|いくら|ですか|ましたか|ますか"
)
_EN_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    "fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|"
    "fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozen"
)
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|"
    "November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
)
_WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_CNUM = "(?:[0-9０-９]+(?:[.．][0-9０-９]+)?|[零〇一二两三四五六七八九十百千万几半数]+)"
_CJK_RANGE = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"

# --------------------------------------------------------------------------
# Prompt structure
# --------------------------------------------------------------------------

_LINE_START = r"(?:(?m:^)|(?<=[。.!?！？]))[ \t]*(?:[#>*\-]+[ \t]*)?(?:\*\*)?"
_QUESTION_MARKER = re.compile(
    _LINE_START
    + r"(?:(?i:(?:the\s+|user(?:'s)?\s+|human\s+)?(?:question|query|q)(?:\s+is)?)"
    r"|问题是?|問題|质问|質問|提问|问|問)"
    r"(?:[ \t]*\d+)?(?:\*\*)?[ \t]*(?:[:：]|(?=\n)|$)"
)
_ANSWER_CUE = re.compile(
    r"(?:(?m:^)|(?<=[\s。.!?！？]))[ \t]*(?:[#>*\-]+[ \t]*)?(?:\*\*)?"
    r"(?:(?:(?i:(?:helpful\s+|final\s+|short\s+|concise\s+|your\s+)?answer)"
    r"|答案|回答|答え|解答)(?:\*\*)?[ \t]*(?:[:：]|(?=\n)|$)"
    r"|(?i:a|assistant|ai|response|output|bot)(?:\*\*)?[ \t]*[:：]|答[:：])"
)
_TAGS = re.compile(
    r"<\|[^|<>\n]{0,40}\|>|</?[A-Za-z][^<>\n]{0,40}>|\[/?INST\]|<</?SYS>>"
)
_ROLE_LABEL = re.compile(r"^(?i:human|user|system|assistant|ai)\s*[:：]\s*")
_CONTENT_LABEL = re.compile(
    r"^(?:(?i:context|contexts|documents?|doc|sources?|passages?|text|information"
    r"|background|excerpts?|content|article)(?:\s*#?\d+)?"
    r"|上下文|背景|文档|文件|资料|已知信息|信息|内容|文脈|文書|資料|コンテキスト|情報|参考)"
    r"\s*[:：]\s*"
)
_HEADER_LINE = re.compile(r"^[^.。!?！？]{0,60}[:：]$")
_WH_START = re.compile(
    r"^(?i:what|who|whom|whose|when|where|why|how|which)\b|什么|谁|哪|多少|几|为什么|"
    r"いつ|どこ|誰|なぜ|どの|いくら"
)
_INSTRUCTION_EN = re.compile(
    r"(?i)^(?:use|answer|respond|reply|read|given|based|if|don't|do\s+not|please|you"
    r"|keep|be|only|provide|write|using|consider|refer|according|always|never|try"
    r"|make|here|below|the\s+following|your)\b"
)
_INSTRUCTION_EN_TOPIC = re.compile(
    r"(?i)\b(?:context|question|answer|answers|answering|make\s+up|information"
    r"|assistant|concise|documents?|passage|sentences?)\b"
)
_INSTRUCTION_CJK = re.compile(
    "(?:上下文|已知信息|问题|問題|回答|答案|提供的信息|文档|文脈|コンテキスト|質問|答え|文書)"
)
_INSTRUCTION_CJK_VERB = re.compile(
    "(?:请|請|使用|根据|根據|如果|不要|你是|基于|以下|上述|使って|基づいて|答えて|"
    "ください|あなたは|回答して|次の)"
)

# --------------------------------------------------------------------------
# Question types
# --------------------------------------------------------------------------

_DURATION, _TIME, _PLACE, _PERSON, _QUANTITY, _REASON, _OTHER = (
    "duration",
    "time",
    "place",
    "person",
    "quantity",
    "reason",
    "other",
)
_KIND_ORDER = (_DURATION, _TIME, _PLACE, _PERSON, _QUANTITY, _REASON)
_TIME_UNITS_EN = (
    r"(?:seconds?|minutes?|hours?|days?|nights?|weeks?|fortnights?|months?|years?"
    r"|decades?|centur(?:y|ies)|semesters?|seasons?|weekends?)"
)
_KIND_PATTERNS: dict[str, re.Pattern[str]] = {
    _DURATION: re.compile(
        r"(?i)\bhow\s+long\b(?!\s+ago)|\bhow\s+many\s+(?:more\s+)?"
        + _TIME_UNITS_EN
        + r"\b"
        r"|\bhow\s+much\s+time\b|\bduration\b"
        "|多久|多长时间|多長時間|多少天|多少年|多少个月|多少小时|多少分钟|多少周"
        "|几天|几年|几个月|几周|几个星期|几小时|几个小时|几分钟"
        "|どのくらい|どれくらい|どのぐらい|どれぐらい|何日間|何日|何時間|何週間|何年間"
        "|何か月|何ヶ月|何カ月|何分間"
    ),
    _TIME: re.compile(
        r"(?i)\bwhen\b|\bhow\s+long\s+ago\b"
        r"|\b(?:what|which)\s+(?:year|time|date|day|month|century|decade|hour|season"
        r"|era)\b"
        "|什么时候|什麼時候|何时|何時|哪一年|哪年|几点|什么时间|哪天|哪一天|几月|几号"
        "|哪个月|いつ|何年|何月|何曜日"
    ),
    _PLACE: re.compile(
        r"(?i)\bwhere\b|\b(?:what|which)\s+(?:city|country|town|village|place|state"
        r"|province|region|continent|island|location|venue|hospital|school"
        r"|university|street|address|building|room|port|airport|station|park"
        r"|neighbou?rhood|area|county|nation|capital|restaurant|hotel)\b"
        "|在哪里|在哪儿|在哪裡|哪里|哪儿|哪裡|在哪|什么地方|何处|哪个城市|哪个国家|哪座城市|哪个地方|哪座"
        "|どこ|何処|どの町|どの国|どの都市"
    ),
    _PERSON: re.compile(
        r"(?i)\bwho(?:m|se)?\b|\b(?:what|which)\s+(?:person|man|woman|player|author"
        r"|scientist|artist|company|team|organi[sz]ation|group|band|brand|firm"
        r"|king|queen|president|leader|writer|singer|actor|actress|architect"
        r"|engineer|doctor|coach|student|employee)\b"
        r"|\bwhat\s+(?:is|was)\s+(?:the|his|her|their|its)\s+name\b"
        "|谁|誰|哪位|だれ|どなた"
    ),
    _QUANTITY: re.compile(
        r"(?i)\bhow\s+(?:much|many|old|far|tall|high|big|large|heavy|deep|wide"
        r"|fast|often|long|cold|hot|warm|low|small)\b"
        r"|\bwhat\s+(?:(?:is|was|were|are)\s+)?(?:the\s+)?(?:price|cost|amount"
        r"|number|percentage|percent|total|population|salary|fee|budget|revenue"
        r"|age|score|temperature|distance|speed|weight|height|size)\b"
        "|多少|几个|几|多大|多高|多远|多重|多长|いくら|何人|何個|いくつ|何本|何枚|何冊"
        "|何台|何回|何歳|どれだけ|何パーセント|何キロ|何メートル"
    ),
    _REASON: re.compile(
        r"(?i)\bwhy\b|\bhow\s+come\b|\bfor\s+what\s+reason\b|\bwhat\s+(?:caused"
        r"|causes|led\s+to|made|was\s+the\s+reason|is\s+the\s+reason)\b"
        "|为什么|為什麼|为何|什么原因|なぜ|どうして|何故"
    ),
}
_COST_WORDS = re.compile(
    r"(?i)\b(?:cost|costs|price|prices|priced|pay|paid|spend|spent|worth|charge"
    r"|charged|sell|sold|buy|bought|earn|earned|fee|fees|salary|budget|money"
    r"|revenue|raise|raised|donate|donated|fund|funding|ticket|tickets)\b"
    "|价格|价钱|多少钱|费用|花了|售价|成本|工资|收入|钱|票价|値段|料金|いくら|円"
)
_PERCENT_QUESTION = re.compile(
    r"(?i)\bpercent(?:age)?\b|%|\bby\s+how\s+much\b|百分之|百分比|パーセント"
)
_NAMED_PLACE_QUESTION = re.compile(
    r"(?i)\b(?:what|which)\s+(?:city|country|town|village|state|province|region"
    r"|continent|island|county|nation|capital)\b"
    "|哪个城市|哪个国家|哪座城市|哪个省|どの町|どの国|どの都市"
)
_AGE_QUESTION = re.compile(r"(?i)\bhow\s+old\b|\bwhat\s+age\b|多大|几岁|何歳")
_TIME_DETAIL = re.compile(
    r"(?i)\b(?:what|which)\s+(year|time|date|day|month|century|decade|hour|season)"
    "|(哪一?年|何年)|(几点|何時)|(几月|何月)|(几号)"
)
_HOW_MANY_UNIT = re.compile(r"(?i)\bhow\s+many\s+([a-z][a-z'-]*(?:\s+[a-z][a-z'-]*)?)")
_CJK_UNIT = re.compile(
    "(?:多少|几|何)(个|名|位|次|本|件|张|辆|座|家|只|人|個|冊|枚|台|回)"
)

# --------------------------------------------------------------------------
# Span patterns
# --------------------------------------------------------------------------

_NUMBER_EN = (
    r"(?:(?:(?<![\w.])[-−])?\d[\d,]*(?:\.\d+)?"
    rf"|(?i:(?:{_EN_NUMBER_WORDS})(?:[-\s](?:{_EN_NUMBER_WORDS}))?))"
)
_DURATION_EN = re.compile(
    r"(?i:\b(?:(?:for|over|about|around|nearly|almost|roughly|approximately|some"
    r"|at\s+least|more\s+than|less\s+than|just|only|another|a\s+further|up\s+to)"
    r"\s+){0,2})"
    r"(?:" + _NUMBER_EN + r"(?i:[\s-]+(?:and\s+a\s+half\s+)?)"
    r"|(?i:a\s+couple\s+of\s+|a\s+few\s+|several\s+|many\s+|half\s+an?\s+|an?\s+))"
    r"(?i:(?:full|whole|long|more|consecutive|additional|straight|extra)\s+)?"
    rf"(?i:{_TIME_UNITS_EN}\b(?:\s+and\s+a\s+half)?)(?![-\s]+old\b)"
)
_DURATION_CJK = re.compile(
    "(?:约|大约|将近|近|超过|整整|足足|約|およそ|ほぼ)?"
    + _CNUM
    + "(?:多|余)?(?:个多|个半|个)?半?"
    "(?:天|日間|日间|周|星期|礼拜|个月|か月|ヶ月|カ月|ヵ月|箇月|年間|年间|年|小时|時間|"
    "钟头|分钟|分間|秒钟|秒|晚|夜|泊|世纪|週間|日)(?:半|多)?"
)
_TIME_EN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "date",
        re.compile(
            rf"\b(?:(?:{_WEEKDAYS}),?\s+)?(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?"
            r"(?:,?\s+\d{4})?\b"
            rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?"
            r"(?:,?\s+\d{4})?"
            r"|\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
        ),
    ),
    (
        "month",
        re.compile(
            rf"\b(?:(?i:early|late|mid-?)\s*)?(?:{_MONTHS})\.?"
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
            rf"\b(?:(?i:last|next|this|every|that|early|late)\s+)?(?:{_WEEKDAYS})"
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
            r"|several|a\s+couple\s+of)\s+" + _TIME_UNITS_EN + r"\s+(?:ago|later"
            r"|earlier|before|after|afterwards)\b"
            r"|\b(?:in|within)\s+(?:\d+|a|an|one|two|three|four|five|six|seven|eight"
            r"|nine|ten|a\s+few|several|a\s+couple\s+of)\s+" + _TIME_UNITS_EN + r"\b"
            r"|\bin\s+the\s+(?:morning|afternoon|evening|night)\b|\bat\s+night\b"
            r"|\b(?:in|during|last|next|this)\s+(?:the\s+)?(?:early\s+|late\s+)?"
            r"(?:spring|summer|autumn|fall|winter)(?:\s+of\s+\d{4})?\b"
        ),
    ),
)
_TIME_CJK_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "date",
        re.compile(
            "(?:[0-9０-９]{3,4}|[〇零一二三四五六七八九]{4})年(?:" + _CNUM + "月)?"
            "(?:" + _CNUM + "[日号])?"
            "|" + _CNUM + "月" + _CNUM + "[日号]"
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
            + _CNUM
            + "(?:点|點|時)(?!間)(?:半|"
            + _CNUM
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
            + _CNUM
            + "(?:年|天|个月|周|日|週間|か月)(?:以前|以后|之后|之前|前|后|後)"
        ),
    ),
)
_CJK_YEAR_LIKE = re.compile("^(?:[0-9０-９]{3,}|[〇零一二三四五六七八九]{3,})年")
_QUANTITY_EN = re.compile(
    r"(?:(?i:about|around|nearly|almost|over|more\s+than|less\s+than|roughly"
    r"|approximately|exactly|only|just|some|up\s+to)\s+)?"
    r"(?:(?:US|A|C|HK|NZ)?[$€£¥₹]\s?\d[\d,]*(?:\.\d+)?"
    r"|"
    + _NUMBER_EN
    + r")(?:\s?(?i:million|billion|trillion|thousand|hundred|bn|m|k)\b)?"
    r"(?:\s?(?:%|(?i:percent|per\s+cent)\b))?"
)
_QUANTITY_CJK = re.compile(
    "(?:约|大约|近|超过|共|約|およそ|ほぼ)?"
    "(?:[0-9０-９][0-9０-９,，.．]*|[零〇一二两三四五六七八九十百千万亿几半]+)"
    "(?:多|余)?(?:万|亿|千|百)?(?:多|余)?"
    "(?:人民币|美元|欧元|英镑|日元|平方米|平方公里|公里|千米|厘米|毫米|公斤|千克|"
    "パーセント|メートル|キロ|グラム|トン|ドル|ユーロ|个|人|名|位|元|块|本|件|张|辆|"
    "次|回|米|克|吨|岁|歳|%|％|座|家|所|台|只|头|条|份|瓶|杯|页|部|项|种|匹|枚|冊|"
    "個|軒|社|店|円|度|倍|层|階|票|分)"
)
_BARE_NUMBER_CJK = re.compile("[0-9０-９][0-9０-９,，.．]*")
_CURRENCY = re.compile(
    r"[$€£¥₹]|(?i:\b(?:dollars?|euros?|pounds?|yen|yuan|rupees?|cents?|usd|eur|gbp)\b)"
    "|美元|欧元|英镑|日元|元|块|円|ドル|ユーロ|人民币"
)
_AGE_SPAN = re.compile(r"(?i)[\s-]+years?[\s-]+old\b|^aged?\b|岁|歳")
_REASON_EN = re.compile(
    r"(?i)\b(?:because(?:\s+of)?|due\s+to|owing\s+to|thanks\s+to|as\s+a\s+result\s+of"
    r"|since|so\s+that|in\s+order\s+to)\b"
)
_REASON_CJK = re.compile("因为|因為|由于|由於")
_REASON_JA = re.compile("ため|ので|から")
_CONSEQUENCE_START = re.compile(
    r"(?i)^(?:so|therefore|thus|hence|consequently|as\s+a\s+result|that\s+is\s+why"
    r"|this\s+is\s+why)\b|^(?:因此|所以|因而|于是|そのため|だから|それで)"
)
_EXPLANATION_START = re.compile(
    r"(?i)^(?:this|that|it)\s+(?:was|is)\s+because\b|^the\s+reason\b|^(?:这是因为|原因是)"
)
_CJK_PLACE = re.compile(
    "(?:在|到|去|往|于|於|从|位于|来自|に|で|へ|から)"
    "([^\\s，。、！？,.!?的了在和与]{1,8}"
    "(?:市|省|县|区|镇|村|国|州|岛|山|河|湖|路|街|医院|学校|大学|公司|家|店|馆|站|机场|"
    "酒店|中心|公园|广场|寺|城|病院|駅|空港|会社|ホテル|公園|町|県|府|都))"
)

# --------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------

_WC = rf"[^\W_{_CJK_RANGE}]"
_CJK_CHAR = re.compile(f"[{_CJK_RANGE}\u2e80-\u2fdf\u3005-\u3007\U00020000-\U0003ffff]")
_WORD = re.compile(rf"{_WC}(?:{_WC}|['’.\-]{_WC}|(?<=\d),\d)*")
_SENTENCE_BOUNDARY = re.compile(r"[。！？]+[」』”\"'’）)]*\s*|[.!?]+[\"'”’)\]]*\s+")
_ABBREVIATIONS = _wordset(
    """
    mr mrs ms dr prof st mt jr sr vs etc e.g i.e inc ltd co corp no fig jan feb
    mar apr jun jul aug sep sept oct nov dec approx dept est gen gov lt col sgt
    capt rev u.s u.k cf al ph.d
    """
)
_PRECEDING_WORD = re.compile(r"([A-Za-z]+(?:\.[A-Za-z]+)*)$")
_TIME_PREPOSITION = re.compile(
    r"(?i)\b(?:in|on|at|since|by|until|till|during|from|before|after|around|circa)\s+$"
)
_DURATION_PREPOSITION = re.compile(r"(?i)\b(?:for|over|during|within)\s+$")
_PRONOUN = re.compile(
    r"(?i)\b(?:he|she|they|him|her|his|hers|their|them|it|its)\b|他|她|它|彼"
)
_APPOSITION_GAP = re.compile(r"\s*,\s*")
_RELATIVE_CLAUSE = re.compile(r"\s*,?\s*(?:where|when|in\s+which)\b")
_NUMBER_WORD = re.compile(rf"\d[\d,.]*|{_EN_NUMBER_WORDS}")
_MAX_TERMS = 48
_UNIT_MODIFIERS = _wordset("square cubic metric nautical light fluid")
_CLAUSE_WORDS = _wordset("and but or while then whereas although")
_GROUP_NOUNS = _wordset("brothers sisters family twins couple band")
_TITLE_ABBREVIATIONS = _wordset("st mt ft dr mr mrs ms jr sr prof gen capt")
_BULLET = re.compile(r"^(?:[-*•·]|\d{1,2}[.)])\s+")
_FIELD = re.compile(
    r"^([A-Za-z][A-Za-z ]{0,30}|[\u3040-\u30ff\u3400-\u9fff]{1,8})\s*[:：]\s*(\S)"
)
_FIELD_KEYS: dict[str, re.Pattern[str]] = {
    _PLACE: re.compile(
        r"(?i)\b(?:location|address|venue|place|city|country|headquarters"
        r"|destination|origin|where)\b|地点|地址|位置|场所|所在地|場所|住所"
    ),
    _TIME: re.compile(
        r"(?i)\b(?:date|time|when|year|day|deadline|schedule|hours|opening|founded)\b"
        "|日期|时间|年份|日時|日付|時間"
    ),
    _PERSON: re.compile(
        r"(?i)\b(?:name|author|owner|contact|founder|ceo|manager|director|by"
        r"|speaker|organizer|host)\b|姓名|作者|负责人|联系人|著者|担当"
    ),
    _QUANTITY: re.compile(
        r"(?i)\b(?:price|cost|fee|amount|total|number|count|population|size|weight"
        r"|height|age|capacity)\b|价格|费用|数量|人数|价钱|価格|料金|人数"
    ),
    _DURATION: re.compile(r"(?i)\b(?:duration|length|period|term)\b|时长|期限|期間"),
}
_NOT_COUNTED = _wordset("last next ago later earlier tomorrow yesterday today tonight")
_SELF_CONTAINED_AMOUNT = re.compile(r"[$€£¥₹%]|(?i:\bper\s*cent\b|\bpercent\b)")
_MAX_QUESTION_CHARS = 400
_CALENDAR_WORD = re.compile(f"{_MONTHS}|{_WEEKDAYS}")
_PLACE_BEFORE = re.compile(r"(?i)\b(?:in|at|from|to|near|into)\s+$")
_AGENT_BEFORE = re.compile(r"(?i)\bby\s+$")
_MERGE_GAP = re.compile(r"(?i)^[\s,]*(?:(?:on|at|of|in)\s*)?$")


class _Word(NamedTuple):
    """A Latin-script word of a sentence."""

    text: str
    stem: str
    start: int
    end: int


@dataclass(frozen=True)
class _Sentence:
    """A context sentence with its words."""

    text: str
    paragraph: int
    words: tuple[_Word, ...]

    def words_after(self, offset: int, limit: int) -> tuple[_Word, ...]:
        """Return up to ``limit`` words starting at or after ``offset``."""
        index = bisect.bisect_left(self.words, offset, key=lambda w: w.start)
        return self.words[index : index + limit]

    def words_before(self, offset: int, limit: int) -> tuple[_Word, ...]:
        """Return up to ``limit`` words ending by ``offset``, nearest first."""
        index = bisect.bisect_right(self.words, offset, key=lambda w: w.end)
        return self.words[max(0, index - limit) : index][::-1]


@dataclass(frozen=True)
class _Term:
    """A question term: a word stem or a CJK n-gram."""

    key: str
    weight: float
    cjk: bool


@dataclass(frozen=True)
class _Question:
    """What the reader knows about the question."""

    text: str
    kind: str
    detail: str
    terms: tuple[_Term, ...]
    units: frozenset[str]
    cjk: bool
    wh_left: str
    wh_right: str


@dataclass(frozen=True)
class _Match:
    """How a sentence matches the question."""

    score: float
    spans: tuple[tuple[int, int], ...]


class _Candidate(NamedTuple):
    """A candidate answer span inside a sentence."""

    start: int
    end: int
    prior: float
    label: str = ""


# --------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------


def _has_cjk(text: str) -> bool:
    return _CJK_CHAR.search(text) is not None


def _has_kana(text: str) -> bool:
    return any("\u3040" <= char <= "\u30ff" for char in text)


@functools.lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    """Reduce an English word to a crude stem (lowercase, no inflection)."""
    word = word.lower().replace("’", "'")
    word = word.removesuffix("'s").removesuffix("'")
    if word in _IRREGULAR:
        return _stem(_IRREGULAR[word])
    if not word.isalpha() or len(word) <= 3:
        return word
    for suffix, replacement in (("ies", "y"), ("ied", "y"), ("sses", "ss")):
        if word.endswith(suffix) and len(word) > 4:
            return word[: -len(suffix)] + replacement
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return _undouble(word[: -len(suffix)])
    return word.removesuffix("e") if len(word) > 4 else word


def _undouble(stem: str) -> str:
    if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]
    return stem.removesuffix("e") if len(stem) > 4 else stem


@functools.lru_cache(maxsize=16384)
def _stems_match(left: str, right: str) -> float:
    """Return 1 for equal stems, 0.8 for a close prefix match, else 0."""
    if left == right:
        return 1.0
    short, long = sorted((left, right), key=len)
    if len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 6:
        return 0.8
    return 0.0


def _words(text: str) -> tuple[_Word, ...]:
    return tuple(
        _Word(m.group(), _stem(m.group()), m.start(), m.end())
        for m in _WORD.finditer(text)
    )


# --------------------------------------------------------------------------
# Prompt parsing
# --------------------------------------------------------------------------


def _split_prompt(prompt: str) -> tuple[str, str] | None:
    """Split ``prompt`` into ``(context, question)``; None without a question."""
    text = prompt.replace("\r\n", "\n").replace("\r", "\n")
    found = _question_after_marker(text) or _question_on_last_line(text)
    if found is None:
        return None
    context, question = found
    question = _ROLE_LABEL.sub("", _TAGS.sub(" ", question)).strip(" \t*#\"'“”")
    return (context, question) if question else None


def _question_after_marker(text: str) -> tuple[str, str] | None:
    markers = list(_QUESTION_MARKER.finditer(text))
    for marker in reversed(markers):
        region = text[marker.end() :]
        cue = _ANSWER_CUE.search(region)
        area = region[: cue.start()] if cue else region
        lines = area.split("\n")
        for index, line in enumerate(lines):
            if line.strip():
                rest = "\n".join(lines[index + 1 :])
                return text[: marker.start()] + "\n\n" + rest, line.strip()
    return None


def _question_on_last_line(text: str) -> tuple[str, str] | None:
    lines = text.split("\n")
    for index in range(len(lines) - 1, -1, -1):
        line = _ROLE_LABEL.sub("", lines[index].strip())
        if not line or _ANSWER_CUE.fullmatch(line):
            continue
        stripped = line.rstrip(" \t\"'”’」』)）")
        if stripped.endswith(("?", "？")):
            return _last_question_sentence(lines, index, line)
    for index in range(len(lines) - 1, -1, -1):
        line = _ROLE_LABEL.sub("", lines[index].strip())
        if not line or _ANSWER_CUE.fullmatch(line) or _HEADER_LINE.match(line):
            continue
        if _WH_START.search(line):
            return "\n".join(lines[:index]), line
        return None
    return None


def _last_question_sentence(lines: list[str], index: int, line: str) -> tuple[str, str]:
    pieces = _split_sentences(line)
    question = pieces[-1] if pieces else line
    before = line[: max(0, len(line) - len(question))]
    context = "\n".join([*lines[:index], before, *lines[index + 1 :]])
    return context, question


# --------------------------------------------------------------------------
# Context
# --------------------------------------------------------------------------


def _clean_line(line: str) -> str:
    line = _TAGS.sub(" ", line).strip()
    line = line.lstrip("#").replace("**", "").strip()
    line = _BULLET.sub("", _ROLE_LABEL.sub("", line))
    if _HEADER_LINE.match(line) or _is_scaffolding(line):
        return ""
    return _CONTENT_LABEL.sub("", line).strip()


def _is_scaffolding(line: str) -> bool:
    """Whether ``line`` is a few-shot "Question: ..." or "Answer: ..." line."""
    return bool(_QUESTION_MARKER.match(line) or _ANSWER_CUE.match(line))


def _paragraphs(context: str) -> list[list[str]]:
    """Return the paragraphs of ``context`` as lists of cleaned lines."""
    paragraphs: list[list[str]] = [[]]
    for raw in context.split("\n"):
        line = _clean_line(raw)
        if not line:
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        current = paragraphs[-1]
        if current and line[0].islower() and line[0].isascii():
            current[-1] = current[-1] + " " + line
        else:
            current.append(line)
    return [paragraph for paragraph in paragraphs if paragraph]


def _split_sentences(text: str) -> list[str]:
    """Split one line of text into sentences (English and CJK punctuation)."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_BOUNDARY.finditer(text):
        if not _is_boundary(text, match):
            continue
        piece = text[start : match.end()].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    if match.group()[0] in "。！？":
        return True
    following = text[match.end() : match.end() + 1]
    if following and following[0].islower():
        return False
    if match.group()[0] != ".":
        return True
    previous = _PRECEDING_WORD.search(text[max(0, match.start() - 20) : match.start()])
    if previous is None:
        return True
    word = previous.group(1)
    return not (word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper()))


def _is_instruction(sentence: str) -> bool:
    """Whether ``sentence`` is prompt boilerplate rather than content."""
    if _has_cjk(sentence):
        return bool(
            _INSTRUCTION_CJK.search(sentence) and _INSTRUCTION_CJK_VERB.search(sentence)
        )
    return bool(
        _INSTRUCTION_EN.match(sentence) and _INSTRUCTION_EN_TOPIC.search(sentence)
    )


def _sentences(context: str) -> list[_Sentence]:
    sentences: list[_Sentence] = []
    for number, paragraph in enumerate(_paragraphs(context)):
        for line in paragraph:
            for piece in _split_sentences(line):
                if not _is_instruction(piece):
                    sentences.append(_Sentence(piece, number, _words(piece)))
    return sentences


# --------------------------------------------------------------------------
# Question analysis
# --------------------------------------------------------------------------


def _classify(question: str) -> tuple[str, re.Match[str] | None]:
    """Return the question kind and the wh-phrase that decided it."""
    best: tuple[int, int, str, re.Match[str]] | None = None
    for rank, kind in enumerate(_KIND_ORDER):
        match = _KIND_PATTERNS[kind].search(question)
        if match and (best is None or (match.start(), rank) < best[:2]):
            best = (match.start(), rank, kind, match)
    if best is None:
        return _OTHER, None
    return best[2], best[3]


def _time_detail(question: str) -> str:
    match = _TIME_DETAIL.search(question)
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


def _detail(kind: str, question: str) -> str:
    if kind == _TIME:
        return _time_detail(question)
    if kind == _PLACE and _NAMED_PLACE_QUESTION.search(question):
        return "named"
    if kind == _QUANTITY:
        if _AGE_QUESTION.search(question):
            return "age"
        if _PERCENT_QUESTION.search(question):
            return "percent"
        if _COST_WORDS.search(question):
            return "cost"
    return ""


def _units(question: str) -> frozenset[str]:
    units: set[str] = set()
    match = _HOW_MANY_UNIT.search(question)
    if match:
        for position, word in enumerate(match.group(1).split()):
            lower = word.lower()
            if lower in _STOPWORDS or (position and _looks_like_verb(lower)):
                break
            units.add(_stem(word))
    units.update(m.group(1) for m in _CJK_UNIT.finditer(question))
    return frozenset(units)


def _looks_like_verb(word: str) -> bool:
    """Whether a word after "how many <noun>" is the verb ("workers *lost*")."""
    return word.endswith("ed") or (word in _IRREGULAR and word not in _PLURAL_NOUNS)


def _latin_terms(question: str) -> list[_Term]:
    terms: list[_Term] = []
    for position, word in enumerate(_words(question)):
        lower = word.text.lower()
        if lower in _STOPWORDS or lower in {"did", "does", "do"}:
            continue
        is_name = word.text[0].isupper() and (
            position > 0 or lower not in _SENTENCE_STARTERS
        )
        terms.append(_Term(word.stem, 1.6 if is_name else 1.0, cjk=False))
    return terms


def _cjk_terms(question: str) -> list[_Term]:
    cleaned = _CJK_INTERROGATIVES.sub(" ", question)
    runs: list[str] = []
    current: list[str] = []
    for char in cleaned:
        if is_cjk(char) and char not in _CJK_STOP_CHARS:
            current.append(char)
        else:
            if current:
                runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    terms: list[_Term] = []
    for run in runs:
        terms.extend(_Term(run[i : i + 2], 1.0, cjk=True) for i in range(len(run) - 1))
        terms.extend(_Term(char, 0.35, cjk=True) for char in run)
    return terms


def _unique_terms(terms: Sequence[_Term]) -> tuple[_Term, ...]:
    seen: dict[tuple[str, bool], _Term] = {}
    for term in terms:
        key = (term.key, term.cjk)
        if key not in seen or seen[key].weight < term.weight:
            seen[key] = term
    return tuple(seen.values())[:_MAX_TERMS]


def _analyze(question: str) -> _Question:
    kind, wh = _classify(question)
    cjk = _has_cjk(question)
    left = question[: wh.start()] if wh else ""
    right = question[wh.end() :] if wh else ""
    blanked = f"{left} {right}" if wh else question
    terms = _latin_terms(blanked)
    if cjk:
        terms.extend(_cjk_terms(blanked))
    return _Question(
        text=question,
        kind=kind,
        detail=_detail(kind, question),
        terms=_unique_terms(terms),
        units=_units(question),
        cjk=cjk,
        wh_left=left.strip(),
        wh_right=right.strip(" ？?。.!！"),
    )


# --------------------------------------------------------------------------
# Sentence scoring
# --------------------------------------------------------------------------


def _term_spans(
    term: _Term, sentence: _Sentence
) -> tuple[float, list[tuple[int, int]]]:
    """Return the match strength of ``term`` in ``sentence`` and where it is."""
    if term.cjk:
        spans: list[tuple[int, int]] = []
        index = sentence.text.find(term.key)
        while index >= 0 and len(spans) < 8:
            spans.append((index, index + len(term.key)))
            index = sentence.text.find(term.key, index + 1)
        return (1.0 if spans else 0.0), spans
    best = 0.0
    spans = []
    for word in sentence.words:
        strength = _stems_match(term.key, word.stem)
        if strength:
            best = max(best, strength)
            spans.append((word.start, word.end))
    return best, spans


_Hits = dict[_Term, tuple[float, list[tuple[int, int]]]]


def _hits(question: _Question, sentence: _Sentence) -> _Hits:
    """Return the question terms found in ``sentence``, with strength and spans."""
    found: _Hits = {}
    for term in question.terms:
        strength, spans = _term_spans(term, sentence)
        if strength:
            found[term] = (strength, spans)
    return found


def _idf(terms: Sequence[_Term], hits: Sequence[_Hits]) -> dict[_Term, float]:
    total = len(hits)
    return {
        term: 1.0 + math.log((total + 1) / (sum(term in h for h in hits) + 0.5))
        for term in terms
    }


def _match(
    sentence: _Sentence, question: _Question, hits: _Hits, idf: dict[_Term, float]
) -> _Match:
    score = _phrase_bonus(sentence, question)
    spans: list[tuple[int, int]] = []
    for term, (strength, found) in hits.items():
        score += strength * term.weight * idf[term]
        spans.extend(found)
    return _Match(score, tuple(spans))


def _score_sentences(
    question: _Question, sentences: Sequence[_Sentence]
) -> list[_Match]:
    """Score every sentence against the question (with pronoun resolution)."""
    hits = [_hits(question, sentence) for sentence in sentences]
    idf = _idf(question.terms, hits)
    matches = [
        _match(sentence, question, found, idf)
        for sentence, found in zip(sentences, hits, strict=True)
    ]
    return _with_coreference(sentences, matches, hits, idf)


def _with_coreference(
    sentences: Sequence[_Sentence],
    matches: Sequence[_Match],
    hits: Sequence[_Hits],
    idf: dict[_Term, float],
) -> list[_Match]:
    """Credit "she"/"他" with the question names the paragraph last mentioned."""
    result = list(matches)
    carried: list[_Term] = []
    for index, sentence in enumerate(sentences):
        if index and sentence.paragraph != sentences[index - 1].paragraph:
            carried = []
        present = [t for t in hits[index] if t.weight >= 1.5]
        missing = [t for t in carried if t not in present]
        if missing and result[index].score > 0 and _PRONOUN.search(sentence.text):
            bonus = sum(0.8 * t.weight * idf[t] for t in missing)
            result[index] = _Match(result[index].score + bonus, result[index].spans)
        if present:
            carried = present
    return result


def _phrase_bonus(sentence: _Sentence, question: _Question) -> float:
    """Reward consecutive question words that also appear consecutively."""
    terms = [t for t in question.terms if not t.cjk]
    if len(terms) < 2:
        return 0.0
    stems = [w.stem for w in sentence.words if w.text.lower() not in _STOPWORDS]
    pairs = set(itertools.pairwise(stems))
    return 0.5 * sum(
        1
        for first, second in itertools.pairwise(terms)
        if (first.key, second.key) in pairs and min(first.weight, second.weight) < 1.5
    )


# --------------------------------------------------------------------------
# Candidate extraction
# --------------------------------------------------------------------------


def _with_preposition(
    text: str, start: int, pattern: re.Pattern[str] = _TIME_PREPOSITION
) -> int:
    """Move ``start`` back over a preposition right before it ("in 1998")."""
    match = pattern.search(text[max(0, start - 12) : start])
    return start - len(match.group()) if match else start


def _duration_candidates(sentence: _Sentence, question: _Question) -> list[_Candidate]:
    text = sentence.text
    found: list[_Candidate] = []
    for match in _DURATION_EN.finditer(text):
        after = text[match.end() : match.end() + 12].lower()
        prior = -0.6 if re.match(r"\s+(?:ago|later|earlier)\b", after) else 0.3
        found.append(
            _Candidate(
                _with_preposition(text, match.start(), _DURATION_PREPOSITION),
                match.end(),
                prior,
            )
        )
    for match in _DURATION_CJK.finditer(text):
        value = match.group()
        if _CJK_YEAR_LIKE.match(value) or text[max(0, match.start() - 1)] == "月":
            continue
        found.append(_Candidate(match.start(), match.end(), 0.3))
    return found


def _time_candidates(sentence: _Sentence, question: _Question) -> list[_Candidate]:
    text = sentence.text
    found: list[_Candidate] = []
    for label, pattern in _TIME_EN_PATTERNS:
        for match in pattern.finditer(text):
            start = _with_preposition(text, match.start())
            found.append(
                _Candidate(start, match.end(), _time_prior(label, question), label)
            )
    for label, pattern in _TIME_CJK_PATTERNS:
        found.extend(
            _Candidate(m.start(), m.end(), _time_prior(label, question), label)
            for m in pattern.finditer(text)
        )
    return _merge_adjacent(text, _drop_nested(found))


def _time_prior(label: str, question: _Question) -> float:
    base = {"date": 0.4, "year": 0.3, "time": 0.3, "century": 0.3, "day": 0.2}.get(
        label, 0.0
    )
    if question.detail and question.detail == label:
        base += 0.8
    if question.detail == "date" and label in {"year", "day", "month"}:
        base += 0.3
    if question.detail == "year" and label in {"date", "month"}:
        base += 0.3
    return base


def _drop_nested(candidates: list[_Candidate]) -> list[_Candidate]:
    """Keep the longest of overlapping candidates (ties: earliest, best prior)."""
    ordered = sorted(candidates, key=lambda c: (c.start, -(c.end - c.start), -c.prior))
    kept: list[_Candidate] = []
    for candidate in ordered:
        if kept and candidate.start < kept[-1].end:
            last = kept[-1]
            if candidate.end > last.end:
                kept[-1] = _Candidate(
                    last.start,
                    candidate.end,
                    max(last.prior, candidate.prior),
                    last.label,
                )
            continue
        kept.append(candidate)
    return kept


def _merge_adjacent(text: str, candidates: list[_Candidate]) -> list[_Candidate]:
    merged: list[_Candidate] = []
    for candidate in candidates:
        if merged and _MERGE_GAP.match(text[merged[-1].end : candidate.start]):
            last = merged[-1]
            merged[-1] = _Candidate(
                last.start,
                candidate.end,
                max(last.prior, candidate.prior) + 0.1,
                last.label if last.prior >= candidate.prior else candidate.label,
            )
        else:
            merged.append(candidate)
    return merged


def _quantity_candidates(sentence: _Sentence, question: _Question) -> list[_Candidate]:
    text = sentence.text
    found: list[_Candidate] = []
    for match in _QUANTITY_EN.finditer(text):
        found.extend(_english_quantity(text, match, sentence, question))
    for match in _QUANTITY_CJK.finditer(text):
        found.append(_cjk_quantity(match, question))
    return found + _bare_cjk_numbers(text, found)


def _bare_cjk_numbers(text: str, found: Sequence[_Candidate]) -> list[_Candidate]:
    """Weak candidates: digits followed by a CJK word ("3000" in "3000名")."""
    starts = {c.start for c in found}
    bare: list[_Candidate] = []
    for match in _BARE_NUMBER_CJK.finditer(text):
        after = text[match.start() : match.end() + 1]
        if (
            match.start() not in starts
            and _has_cjk(after[-1:])
            and not _CJK_YEAR_LIKE.match(after)
        ):
            bare.append(_Candidate(match.start(), match.end(), -0.5))
    return bare


def _english_quantity(
    text: str, match: re.Match[str], sentence: _Sentence, question: _Question
) -> list[_Candidate]:
    value = match.group().strip()
    if not value or value.lower() in {"a", "an"} or _is_year_number(text, match):
        return []
    end, noun_match = match.end(), False
    if not _SELF_CONTAINED_AMOUNT.search(value):
        end, noun_match = _quantity_noun_end(sentence, match.end(), question)
    prior = _amount_prior(text[match.start() : end], question)
    if question.detail == "age":
        aged = _AGE_SPAN.search(text[match.end() : match.end() + 12])
        prior += 0.6 if aged else 0.0
        end = _age_end(text, match.end(), end)
    if noun_match:
        prior += 1.5
    elif question.units:
        prior -= 0.4
    if not any(ch.isdigit() for ch in value):
        prior -= 0.2
    return [_Candidate(match.start(), end, prior)]


def _amount_prior(span: str, question: _Question) -> float:
    """Prefer money for "how much does it cost", percentages for "by how much"."""
    prior = 0.0
    if _CURRENCY.search(span):
        prior += 1.2 if question.detail == "cost" else 0.2
    elif question.detail == "cost":
        prior -= 0.6
    if "%" in span or "percent" in span.lower() or "per cent" in span.lower():
        prior += 0.8 if question.detail == "percent" else 0.0
    return prior


def _age_end(text: str, number_end: int, default: int) -> int:
    match = re.match(
        r"(?i)[\s-]+years?(?:[\s-]+old)?\b", text[number_end : number_end + 16]
    )
    return number_end + match.end() if match else default


def _is_year_number(text: str, match: re.Match[str]) -> bool:
    value = match.group().strip()
    if not re.fullmatch(r"(?:1\d{3}|20\d{2})", value):
        return False
    after = text[match.end() : match.end() + 12]
    return not re.match(r"\s+[a-z]", after) or bool(
        re.match(r"\s+(?:and|to|when|as)\b", after)
    )


def _quantity_noun_end(
    sentence: _Sentence, number_end: int, question: _Question
) -> tuple[int, bool]:
    """Extend a number over the noun it counts; report a "how many" unit match."""
    nouns = _counted_words(sentence, number_end)
    matched = [
        word
        for word in nouns
        if any(_stems_match(word.stem, unit) for unit in question.units)
    ]
    if matched:
        return matched[-1].end, True
    if not nouns:
        return number_end, False
    if len(nouns) > 1 and nouns[0].text.lower() in _UNIT_MODIFIERS:
        return nouns[1].end, False
    return nouns[0].end, False


def _counted_words(sentence: _Sentence, number_end: int) -> list[_Word]:
    """Return the (up to three) content words right after a number."""
    nouns: list[_Word] = []
    previous_end = number_end
    for word in sentence.words_after(number_end, 3):
        lower = word.text.lower()
        gap = sentence.text[previous_end : word.start]
        if gap.strip() or lower in _STOPWORDS or lower in _NOT_COUNTED:
            break
        if lower[0].isdigit():
            break
        nouns.append(word)
        previous_end = word.end
    return nouns


def _cjk_quantity(match: re.Match[str], question: _Question) -> _Candidate:
    value = match.group()
    prior = 0.2
    if _CURRENCY.search(value):
        prior += 1.2 if question.detail == "cost" else 0.0
    elif question.detail == "cost":
        prior -= 0.6
    if question.units and value[-1] in question.units:
        prior += 1.5
    if question.detail == "age" and value[-1] in "岁歳":
        prior += 0.6
    return _Candidate(match.start(), match.end(), prior)


def _noun_phrase_end(sentence: _Sentence, index: int) -> int | None:
    """Return the end of the noun phrase starting at word ``index``, if any."""
    words = sentence.words
    if index >= len(words):
        return None
    first = words[index]
    lower = first.text.lower()
    capitalized = first.text[0].isupper()
    if not (
        lower in _DETERMINERS
        or capitalized
        or lower in _BARE_PLACES
        or _NUMBER_WORD.fullmatch(lower)
        or _precedes_name(words, index)
    ):
        return None
    end = first.end
    content = 0 if lower in _DETERMINERS else 1
    previous = lower
    for word in itertools.islice(words, index + 1, index + 8):
        gap = sentence.text[end : word.start].strip()
        if gap == "." and previous in _TITLE_ABBREVIATIONS:
            gap = ""
        if gap not in {"", "-"} or content >= 5:
            break
        word_lower = word.text.lower()
        if word_lower in _STOPWORDS and not (
            word_lower in _NAME_PARTICLES and capitalized and content
        ):
            break
        if (
            capitalized
            and not word.text[0].isupper()
            and word_lower not in _NAME_PARTICLES
        ):
            break
        end = word.end
        content += 1
        previous = word_lower
    if content == 0:
        return None
    return end


def _precedes_name(words: Sequence[_Word], index: int) -> bool:
    """Whether ``words[index]`` is a lowercase modifier of a name ("northern China")."""
    return (
        index + 1 < len(words)
        and words[index].text.lower() not in _STOPWORDS
        and words[index + 1].text[0].isupper()
    )


def _place_candidates(sentence: _Sentence, question: _Question) -> list[_Candidate]:
    found: list[_Candidate] = []
    words = sentence.words
    for index, word in enumerate(words):
        if word.text.lower() not in _PLACE_PREPOSITIONS:
            continue
        end = _noun_phrase_end(sentence, index + 1)
        if end is None:
            continue
        phrase = sentence.text[words[index + 1].start : end]
        if _is_temporal(phrase):
            continue
        prior = _place_prior(phrase, question) + _relative_bonus(sentence.text, end)
        found.append(_Candidate(word.start, end, prior))
    found.extend(_bare_places(sentence, found))
    found.extend(_cjk_place_candidates(sentence, question))
    return found


def _relative_bonus(text: str, end: int) -> float:
    """Reward "X, where ..." (places) and "X, when ..." (times)."""
    return 0.8 if _RELATIVE_CLAUSE.match(text, end) else 0.0


def _field_candidates(
    sentence: _Sentence, question: _Question, kind: str
) -> list[_Candidate]:
    """Answer from "Key: value" lines ("Location: 12 Main Street")."""
    match = _FIELD.match(sentence.text)
    keys = _FIELD_KEYS.get(kind)
    if match is None or keys is None:
        return []
    key = match.group(1)
    key_stems = {w.stem for w in _words(key)}
    named = any(_stems_match(stem, t.key) for stem in key_stems for t in question.terms)
    if not (keys.search(key) or named):
        return []
    end = len(sentence.text.rstrip(" .。"))
    return [_Candidate(match.start(2), end, 1.2)]


def _is_temporal(phrase: str) -> bool:
    words = [w.lower().strip(".,") for w in phrase.split()]
    content = [w for w in words if w not in _DETERMINERS]
    return (
        not content
        or any(w in _TIME_NOUNS for w in content)
        or content[0][0].isdigit()
        or any(p.search(phrase) for _, p in _TIME_EN_PATTERNS[:3])
    )


def _place_prior(phrase: str, question: _Question) -> float:
    words = phrase.split()
    prior = 0.0
    if any(w[0].isupper() for w in words):
        prior += 1.2 if question.detail == "named" else 0.6
    if any(w.lower().strip(".,") in _PLACE_WORDS for w in words):
        prior += 0.4
    if words and words[0].lower() in {"a", "an"}:
        prior -= 0.2
    return prior


def _bare_places(sentence: _Sentence, taken: list[_Candidate]) -> list[_Candidate]:
    """Capitalized names not introduced by a preposition (weak place guesses)."""
    found = []
    for start, end in _capitalized_runs(sentence):
        if not any(c.start <= start < c.end for c in taken):
            found.append(_Candidate(start, end, -0.4))
    return found


def _cjk_place_candidates(sentence: _Sentence, question: _Question) -> list[_Candidate]:
    found = [
        _Candidate(m.start(1), m.end(1), 0.4)
        for m in _CJK_PLACE.finditer(sentence.text)
    ]
    if question.cjk:
        found.extend(_gap_fill(sentence.text, question))
    return found


def _capitalized_runs(sentence: _Sentence) -> list[tuple[int, int]]:
    """Return spans of capitalized word sequences that look like names."""
    runs: list[tuple[int, int]] = []
    words = sentence.words
    index = 0
    while index < len(words):
        if not _starts_name(words, index):
            index += 1
            continue
        start = words[index].start
        end, index = _extend_name(sentence, index)
        runs.append((start, end))
    return runs


def _starts_name(words: Sequence[_Word], index: int) -> bool:
    word = words[index]
    if not word.text[0].isupper() or not word.text[0].isalpha():
        return False
    lower = word.text.lower()
    if _CALENDAR_WORD.fullmatch(word.text):
        return False
    return not (lower in _SENTENCE_STARTERS or (index == 0 and lower in _STOPWORDS))


def _extend_name(sentence: _Sentence, index: int) -> tuple[int, int]:
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
        elif gap == " " and word.text in _GROUP_NOUNS:
            end = word.end
            index += 1
            break
        elif not (
            word.text.lower() in _NAME_PARTICLES and _next_is_capital(words, index)
        ):
            break
        scan = word.end
        index += 1
    for suffix in ("'s", "’s"):
        if sentence.text.endswith(suffix, 0, end):
            end -= len(suffix)
    return end, index


def _next_is_capital(words: Sequence[_Word], index: int) -> bool:
    return index + 1 < len(words) and words[index + 1].text[0].isupper()


def _person_candidates(sentence: _Sentence, question: _Question) -> list[_Candidate]:
    text = sentence.text
    found: list[_Candidate] = []
    for start, end in _capitalized_runs(sentence):
        before = text[max(0, start - 6) : start].lower()
        prior = 0.5
        if _PLACE_BEFORE.search(before):
            prior -= 0.8
        if _AGENT_BEFORE.search(before):
            prior += 0.5
        found.append(_Candidate(start, end, prior))
    found = _resolve_appositions(text, found, _role_candidates(sentence, question))
    if question.cjk:
        found.extend(_gap_fill(text, question))
    return found


def _resolve_appositions(
    text: str, names: list[_Candidate], roles: list[_Candidate]
) -> list[_Candidate]:
    """Let "her brother, Mark Johnson" answer with the name, not the role."""
    by_start = {name.start: name for name in names}
    result = list(names)
    for role in roles:
        gap = _APPOSITION_GAP.match(text, role.end)
        name = by_start.get(gap.end()) if gap else None
        if name is None:
            result.append(role)
            continue
        result.remove(name)
        result.append(
            _Candidate(name.start, name.end, max(name.prior, role.prior + 0.5))
        )
    return result


def _role_candidates(sentence: _Sentence, question: _Question) -> list[_Candidate]:
    """Lowercase noun phrases such as "the doctor" in subject or agent position."""
    found: list[_Candidate] = []
    words = sentence.words
    stems = [t.key for t in question.terms if not t.cjk and t.weight < 1.5]
    for index, word in enumerate(words):
        if word.text.lower() == "by" and index + 1 < len(words):
            end = _noun_phrase_end(sentence, index + 1)
            if end is not None and not words[index + 1].text[0].isupper():
                found.append(_Candidate(words[index + 1].start, end, 0.3))
        if word.text[0].isupper() or not index:
            continue
        if any(_stems_match(word.stem, stem) for stem in stems):
            start = _subject_start(words, index)
            if start is not None:
                found.append(_Candidate(words[start].start, words[index - 1].end, -0.2))
    return found


def _subject_start(words: Sequence[_Word], verb: int) -> int | None:
    """Return the index of the determiner of a short noun phrase before ``verb``."""
    for start in range(verb - 1, max(-1, verb - 4), -1):
        lower = words[start].text.lower()
        if lower in _DETERMINERS - {"this", "that", "these", "those"}:
            return start if start < verb - 1 else None
        if lower in _STOPWORDS or words[start].text[0].isupper():
            return None
    return None


def _gap_fill(text: str, question: _Question) -> list[_Candidate]:
    """Find the CJK text that fills the wh-word's slot in ``text``."""
    found: list[_Candidate] = []
    slot = _anchored_slot(text, question)
    if slot is not None:
        found.append(_Candidate(*slot))
    particle = _particle_slot(text, question)
    if particle is not None:
        found.append(particle)
    return found


def _anchored_slot(text: str, question: _Question) -> tuple[int, int, float] | None:
    """Align the words around the wh-word ("由 _ 创作") with ``text``."""
    left_end = _left_anchor(text, question.wh_left)
    right_start = _right_anchor(text, question.wh_right, left_end or 0)
    if left_end is not None and right_start is not None and right_start > left_end:
        start, end, prior = left_end, right_start, 1.0
    elif right_start is not None:
        start, end, prior = _back_to_boundary(text, right_start), right_start, 0.6
    elif left_end is not None:
        start, end, prior = left_end, len(text), 0.6
    else:
        return None
    start += _skip_filler(text[start:end])
    end = _chunk_end(text, start, end)
    if not 0 < end - start <= _MAX_SLOT_CHARS:
        return None
    return start, end, prior


def _particle_slot(text: str, question: _Question) -> _Candidate | None:
    """Japanese: "誰と" is answered by the word before "と" ("友達と")."""
    particle = _JA_PARTICLE.match(question.wh_right)
    if particle is None:
        return None
    start_at = _left_anchor(text, question.wh_left) or 0
    index = text.find(particle.group(), start_at)
    while index > 0:
        start = _back_to_boundary(text, index)
        if start < index:
            return _Candidate(start, index, 0.9)
        index = text.find(particle.group(), index + 1)
    return None


def _left_anchor(text: str, left: str) -> int | None:
    left = left.rstrip()
    for candidate in (left, left.rstrip("".join(_CJK_FUNCTION_CHARS))):
        for size in range(min(len(candidate), 6), 0, -1):
            piece = candidate[-size:]
            if size == 1 and piece not in _CJK_FUNCTION_CHARS:
                continue
            index = text.find(piece)
            if index >= 0:
                return index + size
    return None


def _right_anchor(text: str, right: str, start: int) -> int | None:
    right = right.lstrip("的了是")
    for size in range(min(len(right), 6), 1, -1):
        index = text.find(right[:size], start)
        if index >= 0:
            return index
    return None


def _is_name_char(char: str) -> bool:
    return (is_cjk(char) or char.isalnum() or char in "·・") and (
        char not in _CJK_FUNCTION_CHARS
    )


def _back_to_boundary(text: str, end: int) -> int:
    start = end
    while (
        start > 0 and end - start < _MAX_SLOT_CHARS and _is_name_char(text[start - 1])
    ):
        start -= 1
    return start


def _chunk_end(text: str, start: int, limit: int) -> int:
    end = start
    while end < limit and end - start < _MAX_SLOT_CHARS and _is_name_char(text[end]):
        end += 1
    return end


def _skip_filler(text: str) -> int:
    match = _CJK_FILLER.match(text)
    return match.end() if match else 0


def _reason_candidates(sentence: _Sentence, question: _Question) -> list[_Candidate]:
    text = sentence.text
    for match in _REASON_EN.finditer(text):
        if match.group().lower() == "since" and re.match(
            r"\s+(?:\d|" + _MONTHS + r"|then|last|the\s+\d)", text[match.end() :]
        ):
            continue
        end = _clause_end(text, match.start())
        return [_Candidate(match.start(), end, 1.0)]
    for match in _REASON_CJK.finditer(text):
        return [_Candidate(match.start(), _clause_end(text, match.start()), 1.0)]
    for match in _REASON_JA.finditer(text):
        start = max(
            text.rfind("、", 0, match.start()), text.rfind("，", 0, match.start())
        )
        return [_Candidate(start + 1, match.end(), 1.0)]
    return []


def _clause_end(text: str, start: int) -> int:
    body = text.rstrip(" .。!！?？")
    if start < 3:
        for comma in (",", "，", "、"):
            index = body.find(comma, start)
            if index > 0:
                return index
    return len(body)


_EXTRACTORS: dict[str, Callable[[_Sentence, _Question], list[_Candidate]]] = {
    _DURATION: _duration_candidates,
    _TIME: _time_candidates,
    _PLACE: _place_candidates,
    _PERSON: _person_candidates,
    _QUANTITY: _quantity_candidates,
    _REASON: _reason_candidates,
}
_FALLBACK_KINDS: dict[str, tuple[str, ...]] = {
    _DURATION: (_DURATION, _QUANTITY),
    _TIME: (_TIME,),
    _PLACE: (_PLACE,),
    _PERSON: (_PERSON,),
    _QUANTITY: (_QUANTITY,),
    _REASON: (_REASON,),
}

# --------------------------------------------------------------------------
# Answer selection
# --------------------------------------------------------------------------


def _proximity(candidate: _Candidate, match: _Match, cjk: bool) -> float:
    if not match.spans:
        return 0.0
    distance = min(
        max(0, start - candidate.end, candidate.start - end)
        for start, end in match.spans
    )
    words = distance / (1.5 if cjk else 6.0)
    return 1.0 / (1.0 + words / 3.0)


def _attachment(
    candidate: _Candidate, sentence: _Sentence, question: _Question
) -> float:
    """Score the words right around a candidate ("12 euros *for children*")."""
    stems = [t.key for t in question.terms if not t.cjk]
    if not stems:
        return 0.0
    after = _nearest_content(sentence, candidate.end, forward=True)
    before = _nearest_content(sentence, candidate.start, forward=False)
    score = 0.0
    if after is not None:
        word, via_preposition = after
        if any(_stems_match(word.stem, stem) for stem in stems):
            score += 0.8
        elif via_preposition:
            score -= 0.3
    if before is not None and any(_stems_match(before[0].stem, stem) for stem in stems):
        score += 0.4
    return score


def _nearest_content(
    sentence: _Sentence, offset: int, *, forward: bool
) -> tuple[_Word, bool] | None:
    """Return the closest content word in the same clause.

    The flag tells whether function words ("for", "the") came in between.
    """
    if forward:
        words = sentence.words_after(offset, 3)
    else:
        words = sentence.words_before(offset, 2)
    edge = offset
    crossed = False
    for word in words:
        gap = (
            sentence.text[edge : word.start]
            if forward
            else sentence.text[word.end : edge]
        )
        if gap.strip() or _NUMBER_WORD.fullmatch(word.text.lower()):
            return None
        lower = word.text.lower()
        if lower in _CLAUSE_WORDS or (forward and lower == "to"):
            return None
        if lower not in _STOPWORDS:
            return word, crossed
        crossed = True
        edge = word.end if forward else word.start
    return None


def _overlaps_question(text: str, question: _Question) -> bool:
    lowered = question.text.lower()
    value = text.strip().lower()
    if value in lowered:
        return True
    words = [w for w in _words(text) if w.text.lower() not in _STOPWORDS]
    question_stems = {t.key for t in question.terms if not t.cjk}
    return bool(words) and all(w.stem in question_stems for w in words)


def _best_candidate(
    kind: str,
    sentences: Sequence[_Sentence],
    matches: Sequence[_Match],
    question: _Question,
) -> tuple[int, _Candidate] | None:
    """Return the best-scoring ``kind`` span over all sentences, if any."""
    best: tuple[float, int, _Candidate] | None = None
    for index, (sentence, match) in enumerate(zip(sentences, matches, strict=True)):
        previous = _previous_score(sentences, matches, index)
        base = match.score + 0.3 * previous
        if base <= 0 and question.terms:
            continue
        candidates = _EXTRACTORS[kind](sentence, question)
        for candidate in [*candidates, *_field_candidates(sentence, question, kind)]:
            value = sentence.text[candidate.start : candidate.end]
            score = (
                base
                + candidate.prior
                + _proximity(candidate, match, question.cjk)
                + _attachment(candidate, sentence, question)
            )
            if _overlaps_question(value, question):
                score -= 3.0
            if best is None or score > best[0] + 1e-9:
                best = (score, index, candidate)
    return None if best is None else (best[1], best[2])


def _previous_score(
    sentences: Sequence[_Sentence], matches: Sequence[_Match], index: int
) -> float:
    if index == 0 or sentences[index - 1].paragraph != sentences[index].paragraph:
        return 0.0
    return matches[index - 1].score


def _reason_answer(
    sentences: Sequence[_Sentence], matches: Sequence[_Match], best: int
) -> str:
    sentence = sentences[best]
    paragraph = sentence.paragraph
    if (
        _CONSEQUENCE_START.search(sentence.text)
        and best > 0
        and sentences[best - 1].paragraph == paragraph
    ):
        return sentences[best - 1].text
    if (
        best + 1 < len(sentences)
        and sentences[best + 1].paragraph == paragraph
        and _EXPLANATION_START.search(sentences[best + 1].text)
    ):
        return sentences[best + 1].text
    return sentence.text


def _span_answer(
    question: _Question,
    sentences: Sequence[_Sentence],
    matches: Sequence[_Match],
    best: int,
) -> str | None:
    for kind in _FALLBACK_KINDS.get(question.kind, ()):
        found = _best_candidate(kind, sentences, matches, question)
        if found is not None:
            index, candidate = found
            if kind == _REASON and matches[index].score < 0.5 * matches[best].score:
                continue
            text = sentences[index].text
            return text[candidate.start : candidate.end].strip(" ,，、")
    return None


def _select(question: _Question, sentences: Sequence[_Sentence]) -> str | None:
    if not sentences:
        return None
    matches = _score_sentences(question, sentences)
    best = max(range(len(sentences)), key=lambda i: (matches[i].score, -i))
    if matches[best].score <= 0 and question.terms:
        return None
    span = _span_answer(question, sentences, matches, best)
    if span:
        return span
    if question.kind == _REASON:
        return _reason_answer(sentences, matches, best)
    return sentences[best].text


def _fallback(question: str) -> str:
    if _has_kana(question):
        return "わかりません。"
    if _has_cjk(question):
        return "我不知道。"
    return " I don't know."


def _finish(span: str, question: _Question) -> str:
    """Punctuate a non-empty answer; English answers get a leading space."""
    if _has_cjk(span[-1:]) or (question.cjk and _has_cjk(span)):
        return span if span[-1] in "。！？」』" else span + "。"
    if span[-1] not in ".!?\"'”’)":
        span += "."
    return " " + span


def answer(prompt: str) -> str:
    """Answer the question in ``prompt`` from the context in ``prompt``.

    Args:
        prompt: A QA prompt: context documents, a question, usually an answer cue.

    Returns:
        A short answer span (English answers start with a space, like LLM output
        after ``Answer:``), or a short "I don't know" when the prompt has no
        question or no supporting context.
    """
    parts = _split_prompt(prompt)
    if parts is None:
        return _fallback(prompt)
    context, question_text = parts
    question = _analyze(question_text[:_MAX_QUESTION_CHARS])
    span = (_select(question, _sentences(context)) or "").strip()
    if not span:
        return _fallback(question_text)
    return _finish(span, question)


class ReaderModel:
    """Extractive QA model: answers a question from the prompt's own context.

    Attributes:
        name: The registry name of the model.
    """

    name = "reader"

    def generate(self, prompt: str) -> Iterator[str]:
        """Yield the answer to ``prompt`` as LLM-like tokens.

        Args:
            prompt: The full prompt sent to the endpoint.

        Yields:
            Text pieces whose concatenation is ``answer(prompt)``.
        """
        yield from tokenize(answer(prompt))
