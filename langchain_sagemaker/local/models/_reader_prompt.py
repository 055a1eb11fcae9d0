"""Prompt parsing for the reader: find the question and the context sentences."""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_sagemaker.local.models._reader_text import (
    STOPWORDS,
    Sentence,
    Word,
    has_cjk,
    split_sentences,
    split_words,
    wordset,
)

LINE_START = r"(?:(?m:^)|(?<=[。.!?！？]))[ \t]*(?:[#>*\-]+[ \t]*)?(?:\*\*)?"

QUESTION_MARKER = re.compile(
    LINE_START
    + r"(?:(?i:(?:the\s+|user(?:'s)?\s+|human\s+)?(?:question|query|q)(?:\s+is)?)"
    r"|问题是?|問題|质问|質問|提问|问|問)"
    r"(?:[ \t]*\d+)?(?:\*\*)?[ \t]*(?:[:：]|(?=\n)|$)"
)

ANSWER_CUE = re.compile(
    r"(?:(?m:^)|(?<=[\s。.!?！？]))[ \t]*(?:[#>*\-]+[ \t]*)?(?:\*\*)?"
    r"(?:(?:(?i:(?:helpful\s+|final\s+|short\s+|concise\s+|your\s+)?answer)"
    r"|答案|回答|答え|解答)(?:\*\*)?[ \t]*(?:[:：]|(?=\n)|$)"
    r"|(?i:a|assistant|ai|response|output|bot)(?:\*\*)?[ \t]*[:：]|答[:：])"
)

TAGS = re.compile(
    r"<\|[^|<>\n]{0,40}\|>|</?[A-Za-z][^<>\n]{0,40}>|\[/?INST\]|<</?SYS>>"
)

ROLE_LABEL = re.compile(r"^(?i:human|user|system|assistant|ai)\s*[:：]\s*")

CHAT_MARKUP = re.compile(
    r"<\|[^|<>\n]{0,40}\|>|\[/?INST\]|<</?SYS>>|</?s>|<(?:start|end)_of_turn>"
)
"""A chat template's turn markers (ChatML, Llama 2/3, Gemma): line breaks."""

ROLE_LINE = re.compile(r"(?i:human|user|system|assistant|ai|model|bot)")
"""A turn's role name alone on its line, as chat templates write it."""

CONTENT_LABEL = re.compile(
    r"^(?:(?i:context|contexts|documents?|doc|sources?|passages?|text|information"
    r"|background|excerpts?|content|article)(?:\s*#?\d+)?"
    r"|上下文|背景|文档|文件|资料|已知信息|信息|内容|文脈|文書|資料|コンテキスト|情報|参考)"
    r"\s*[:：]\s*"
)

HEADER_LINE = re.compile(r"^[^.。!?！？]{0,60}[:：]$")

WH_START = re.compile(
    r"^(?i:what|who|whom|whose|when|where|why|how|which)\b|什么|谁|哪|多少|几|为什么|"
    r"いつ|どこ|誰|なぜ|どの|いくら"
)

INSTRUCTION_EN = re.compile(
    r"(?i)^(?:use|answer|respond|reply|read|given|based|if|don't|do\s+not|please|you"
    r"|keep|be|only|provide|write|using|consider|refer|according|always|never|try"
    r"|make|here|below|the\s+following|your)\b"
)

INSTRUCTION_EN_TOPIC = re.compile(
    r"(?i)\b(?:context|question|answer|answers|answering|make\s+up|information"
    r"|assistant|concise|documents?|passage|sentences?)\b"
)

INSTRUCTION_CJK = re.compile(
    "(?:上下文|已知信息|问题|問題|回答|答案|提供的信息|文档|文脈|コンテキスト|質問|答え|文書)"
)

INSTRUCTION_CJK_VERB = re.compile(
    "(?:请|請|使用|根据|根據|如果|不要|你是|基于|以下|上述|使って|基づいて|答えて|"
    "ください|あなたは|回答して|次の)"
)

BULLET = re.compile(r"^(?:[-*•·]|\d{1,2}[.)])\s+")
FENCE = re.compile(r"(?m)^[ \t]*(?:[-=_~*][ \t]*){3,}$")
"""A separator line ("-----", "=====") around a prompt's context."""
PROMPT_WORDS = wordset(
    """
    context contexts information info below above following provided given give
    document documents text texts passage passages piece pieces portion part parts
    extract extracts extracted question questions query answer answers answering
    prior knowledge new original existing refine refined opportunity needed need
    useful better relevant verbatim long final create helpful use using based
    end know make try say just only return more some additional instructions
    """
)
"""Words of QA prompt templates: a sentence made only of these is boilerplate
("Context information is below.")."""


def split_prompt(prompt: str) -> tuple[str, str] | None:
    """Split ``prompt`` into ``(context, question)``; None without a question."""
    text = prompt.replace("\r\n", "\n").replace("\r", "\n")
    text = CHAT_MARKUP.sub("\n", text)
    found = question_after_marker(text) or question_on_last_line(text)
    if found is None:
        return None
    context, question = found
    question = ROLE_LABEL.sub("", TAGS.sub(" ", question)).strip(" \t*#\"'“”")
    return (context, question) if question else None


def question_after_marker(text: str) -> tuple[str, str] | None:
    markers = list(QUESTION_MARKER.finditer(text))
    for marker in reversed(markers):
        region = text[marker.end() :]
        cue = ANSWER_CUE.search(region)
        area = region[: cue.start()] if cue else region
        lines = area.split("\n")
        for index, line in enumerate(lines):
            if line.strip():
                rest = "\n".join(lines[index + 1 :])
                return text[: marker.start()] + "\n\n" + rest, line.strip()
    return None


def question_on_last_line(text: str) -> tuple[str, str] | None:
    lines = text.split("\n")
    for index in range(len(lines) - 1, -1, -1):
        line = ROLE_LABEL.sub("", lines[index].strip())
        if not line or ANSWER_CUE.fullmatch(line) or ROLE_LINE.fullmatch(line):
            continue
        stripped = line.rstrip(" \t\"'”’」』)）")
        if stripped.endswith(("?", "？")):
            return last_question_sentence(lines, index, line)
    for index in range(len(lines) - 1, -1, -1):
        line = ROLE_LABEL.sub("", lines[index].strip())
        if (
            not line
            or ANSWER_CUE.fullmatch(line)
            or ROLE_LINE.fullmatch(line)
            or HEADER_LINE.match(line)
        ):
            continue
        if WH_START.search(line):
            return "\n".join(lines[:index]), line
        return None
    return None


def last_question_sentence(lines: list[str], index: int, line: str) -> tuple[str, str]:
    pieces = split_sentences(line)
    question = pieces[-1] if pieces else line
    before = line[: max(0, len(line) - len(question))]
    context = "\n".join([*lines[:index], before, *lines[index + 1 :]])
    return context, question


def clean_line(line: str) -> str:
    if FENCE.fullmatch(line):
        return ""
    line = TAGS.sub(" ", line).strip()
    line = line.lstrip("#").replace("**", "").strip()
    line = BULLET.sub("", ROLE_LABEL.sub("", line))
    if HEADER_LINE.match(line) or is_scaffolding(line) or ROLE_LINE.fullmatch(line):
        return ""
    return CONTENT_LABEL.sub("", line).strip()


def is_scaffolding(line: str) -> bool:
    """Whether ``line`` is a few-shot "Question: ..." or "Answer: ..." line."""
    return bool(QUESTION_MARKER.match(line) or ANSWER_CUE.match(line))


def split_paragraphs(context: str) -> list[list[str]]:
    """Return the paragraphs of ``context`` as lists of cleaned lines."""
    paragraphs: list[list[str]] = [[]]
    for raw in context.split("\n"):
        line = clean_line(raw)
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


def is_instruction(sentence: str, words: Sequence[Word] = ()) -> bool:
    """Whether ``sentence`` (with its ``words``) is prompt boilerplate."""
    if has_cjk(sentence):
        return bool(
            INSTRUCTION_CJK.search(sentence) and INSTRUCTION_CJK_VERB.search(sentence)
        )
    if INSTRUCTION_EN.match(sentence) and INSTRUCTION_EN_TOPIC.search(sentence):
        return True
    content = False
    for word in words or split_words(sentence):
        lower = word.text.lower()
        if lower in STOPWORDS:
            continue
        if lower not in PROMPT_WORDS:
            return False
        content = True
    return content


def context_sentences(context: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    for number, paragraph in enumerate(split_paragraphs(context)):
        for line in paragraph:
            for piece in split_sentences(line):
                words = split_words(piece)
                if not is_instruction(piece, words):
                    sentences.append(Sentence(piece, number, words))
    return sentences
