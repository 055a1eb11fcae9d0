"""The reader as the LLM of the map_reduce, refine and map_rerank QA chains.

One prompt at a time: the map step, the combine step, refine's first step and
each refine step, in English, Chinese and Japanese. Whole pipelines over long
documents are in ``test_reader_pipelines.py``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document
from langchain_core.language_models.llms import LLM

from langchain_sagemaker.chains import (
    COMBINE_PROMPT,
    MAP_PROMPT,
    REFINE_INITIAL_PROMPT,
    REFINE_PROMPT,
)
from langchain_sagemaker.local.models.reader import ReaderModel, answer

BRIDGE = (
    "The bridge over the Kova river was closed for repairs. Engineers worked on "
    "the bridge for 11 weeks before it reopened to traffic."
)
FILLER = (
    "The town of Dorn lies in a wide valley surrounded by farmland. Most "
    "residents work in agriculture or in the small shops along the main street."
)
HOW_LONG = "How long did engineers work on the bridge?"


def map_step(context: str, question: str = HOW_LONG) -> str:
    return answer(MAP_PROMPT.format(context=context, question=question))


def combine(extracts: list[str], question: str = HOW_LONG) -> str:
    summaries = "\n\n".join(extracts)
    return answer(COMBINE_PROMPT.format(question=question, summaries=summaries))


def initial(context: str, question: str = HOW_LONG) -> str:
    return answer(REFINE_INITIAL_PROMPT.format(context_str=context, question=question))


def refine(existing: str, context: str, question: str = HOW_LONG) -> str:
    return answer(
        REFINE_PROMPT.format(
            question=question, existing_answer=existing, context_str=context
        )
    )


# --------------------------------------------------------------------------
# map: what in this chunk answers the question
# --------------------------------------------------------------------------


def test_map_answers_from_the_relevant_chunk() -> None:
    assert map_step(BRIDGE) == " for 11 weeks."


@pytest.mark.parametrize(
    "chunk",
    [
        FILLER,
        "Every autumn the valley hosts a harvest market.",
        # shares one question word ("work"), answers nothing
        "Most residents work in agriculture. The market opens at 8 am.",
    ],
)
def test_map_says_i_dont_know_for_other_chunks(chunk: str) -> None:
    assert map_step(chunk) == " I don't know."


def test_map_returns_the_sentence_for_partial_evidence() -> None:
    # The chunk starts mid-paragraph: "the album" is the question's "Low Tide".
    chunk = "The album was released on 12 March 2015 and reached number four."
    result = map_step(chunk, "When was Low Tide released?")
    assert result == f" {chunk}"


@pytest.mark.parametrize(
    ("chunk", "question", "expected"),
    [
        (
            "市图书馆由建筑师王建国设计，于2010年正式开放。",
            "市图书馆是什么时候开放的？",
            "2010年。",
        ),
        (
            "这座城市位于长江下游，气候温和。",
            "市图书馆是什么时候开放的？",
            "我不知道。",
        ),
        (
            "村の小学校は1905年に建てられました。",
            "村の小学校はいつ建てられましたか？",
            "1905年。",
        ),
        (
            "冬には雪がたくさん降ります。",
            "村の小学校はいつ建てられましたか？",
            "わかりません。",
        ),
    ],
)
def test_map_in_chinese_and_japanese(chunk: str, question: str, expected: str) -> None:
    assert map_step(chunk, question) == expected


# --------------------------------------------------------------------------
# combine: the final answer from the map step's extracts
# --------------------------------------------------------------------------


def test_combine_picks_the_extract_over_i_dont_know() -> None:
    extracts = [" I don't know.", " I don't know.", " for 11 weeks.", " I don't know."]
    assert combine(extracts) == " for 11 weeks."


@pytest.mark.parametrize(
    "non_answer",
    [
        " I don't know.",
        "I do not know",
        "我不知道。",
        "わかりません。",
        "Not relevant.",
        "None",
        "N/A",
        "No relevant text.",
        "There is no relevant text in this portion.",
        "The text does not mention the bridge.",
        "",
        "   ",
        "无相关内容。",
        "該当なし",
    ],
)
def test_combine_ignores_non_answers(non_answer: str) -> None:
    assert combine([non_answer, " for 11 weeks.", non_answer]) == " for 11 weeks."


@pytest.mark.parametrize(
    ("question", "extracts", "expected"),
    [
        (HOW_LONG, [" in 2019.", " for 11 weeks.", " Marta Silva."], " for 11 weeks."),
        (
            "When did the bridge reopen?",
            [" for 11 weeks.", " on 3 June 2021."],
            " on 3 June 2021.",
        ),
        (
            "Who led the work on the bridge?",
            [" 2.4 million euros.", " Marta Silva."],
            " Marta Silva.",
        ),
        (
            "How much did the repairs cost?",
            [" Marta Silva.", " 2.4 million euros."],
            " 2.4 million euros.",
        ),
        (
            "Where did drivers cross the river?",
            [" for 11 weeks.", " at Lenz."],
            " at Lenz.",
        ),
    ],
)
def test_combine_prefers_an_extract_of_the_wanted_type(
    question: str, extracts: list[str], expected: str
) -> None:
    assert combine(extracts, question) == expected


def test_combine_prefers_a_bare_answer_to_a_sentence() -> None:
    # A sentence comes from a chunk that only partly matched the question.
    extracts = [
        " Engineers worked on the tunnel for 3 weeks.",
        " for 11 weeks.",
    ]
    assert combine(extracts) == " for 11 weeks."


def test_combine_extracts_the_span_from_sentences() -> None:
    extracts = [
        " I don't know.",
        " The recording sessions lasted three weeks.",
        " Low Tide was produced by Aidan Walsh.",
    ]
    question = "How long did the recording sessions of Low Tide last?"
    assert combine(extracts, question) == " three weeks."


def test_combine_without_any_answer_says_i_dont_know() -> None:
    assert combine([" I don't know."] * 4) == " I don't know."
    assert combine(["我不知道。"] * 3, "市图书馆是谁设计的？") == "我不知道。"


def test_combine_with_unstripped_and_stripped_extracts() -> None:
    assert combine(["I don't know.", "for 11 weeks."]) == " for 11 weeks."
    assert combine(["  for 11 weeks.  \n", "\nI don't know.\n"]) == " for 11 weeks."


def test_combine_in_chinese_and_japanese() -> None:
    assert (
        combine(["我不知道。", "王建国。", "我不知道。"], "市图书馆是谁设计的？")
        == "王建国。"
    )
    assert (
        combine(["わかりません。", "二十年間。"], "山本先生は何年間教えましたか？")
        == "二十年間。"
    )


def test_combine_uses_the_last_question_of_a_few_shot_prompt() -> None:
    prompt = (
        "Given the following extracted parts of a long document and a question, "
        "create a final answer.\n\nQUESTION: Which state's law governs the "
        "contract?\n=========\nContent: This Agreement is governed by English law."
        "\n=========\nFINAL ANSWER: This Agreement is governed by English law.\n\n"
        f"QUESTION: {HOW_LONG}\n=========\nI don't know.\n\nfor 11 weeks.\n"
        "=========\nFINAL ANSWER:"
    )
    assert answer(prompt) == " for 11 weeks."


# --------------------------------------------------------------------------
# refine, first step: "Context information is below. ... answer the question:"
# --------------------------------------------------------------------------


def test_refine_initial_answers_from_the_context() -> None:
    assert initial(BRIDGE) == " for 11 weeks."


@pytest.mark.parametrize("chunk", [FILLER, "", "Every autumn there is a market."])
def test_refine_initial_never_answers_with_the_template(chunk: str) -> None:
    assert initial(chunk) == " I don't know."


def test_refine_initial_question_without_question_mark() -> None:
    assert initial(BRIDGE, "how long did engineers work on the bridge") == (
        " for 11 weeks."
    )


def test_refine_initial_in_chinese() -> None:
    context = "图书馆的建设花了三年时间，总投资约两亿元。"
    assert initial(context, "图书馆的建设花了多长时间？") == "三年。"
    assert initial("城市的公交系统非常发达。", "图书馆的建设花了多长时间？") == (
        "我不知道。"
    )


# --------------------------------------------------------------------------
# refine, each further step
# --------------------------------------------------------------------------


def test_refine_keeps_the_existing_answer_when_the_context_does_not_answer() -> None:
    assert refine(" for 11 weeks.", FILLER) == " for 11 weeks."
    assert refine("for 11 weeks.", "") == " for 11 weeks."


def test_refine_replaces_i_dont_know_with_the_new_answer() -> None:
    assert refine(" I don't know.", BRIDGE) == " for 11 weeks."
    assert refine("我不知道。", BRIDGE) == " for 11 weeks."


def test_refine_stays_i_dont_know_without_an_answer() -> None:
    assert refine(" I don't know.", FILLER) == " I don't know."
    assert refine(
        "わかりません。", "冬には雪が降ります。", "橋はいつ完成しましたか？"
    ) == ("わかりません。")


def test_refine_keeps_a_bare_answer_against_a_weaker_distractor() -> None:
    distractor = "A second bridge was built in just 8 months."
    assert refine(" for 11 weeks.", distractor) == " for 11 weeks."


def test_refine_replaces_a_sentence_answer_with_a_better_match() -> None:
    # A sentence answer is partial evidence (a bare answer would be strong).
    existing = " Engineers worked on the tunnel for 3 weeks."
    assert refine(existing, BRIDGE) == " for 11 weeks."


def test_refine_keeps_a_sentence_answer_that_matches_better() -> None:
    existing = " Tom Baker stayed at the clinic for six days."
    context = "Visitors may stay at the clinic until 8 pm."
    question = "How long did Tom Baker stay at the clinic?"
    assert "six days" in refine(existing, context, question)


def test_refine_prefers_a_sentence_with_the_wanted_type() -> None:
    existing = " Low Tide was produced by Aidan Walsh."
    context = "The album was released on 12 March 2015."
    assert "12 March 2015" in refine(existing, context, "When was Low Tide released?")


def test_refine_in_japanese() -> None:
    question = "山本先生はこの小学校で何年間教えましたか？"
    context = "山本先生はこの小学校で二十年間教えました。"
    assert refine("わかりません。", context, question) == "二十年間。"
    assert refine("二十年間。", "村の祭りは十月です。", question) == "二十年間。"


# --------------------------------------------------------------------------
# map_rerank: an answer and a score
# --------------------------------------------------------------------------

MAP_RERANK = (
    "Use the following pieces of context to answer the question at the end. If "
    "you don't know the answer, just say that you don't know, don't try to make "
    "up an answer.\n\nIn addition to giving an answer, also return a score of "
    "how fully it answered the user's question. This should be in the following "
    "format:\n\nQuestion: [question here]\nHelpful Answer: [answer here]\nScore: "
    "[score between 0 and 100]\n\nBegin!\n\nContext:\n---------\n{context}\n"
    "---------\nQuestion: {question}\nHelpful Answer:"
)
RERANK_OUTPUT = re.compile(r"(.*?)\nScore: (\d*)")
"""How LangChain's map_rerank chain parses the answer."""


def test_map_rerank_answer_carries_a_score() -> None:
    good = answer(MAP_RERANK.format(context=BRIDGE, question=HOW_LONG))
    bad = answer(MAP_RERANK.format(context=FILLER, question=HOW_LONG))
    good_match = RERANK_OUTPUT.match(good)
    bad_match = RERANK_OUTPUT.match(bad)
    assert good_match is not None
    assert bad_match is not None
    assert good_match.group(1) == " for 11 weeks."
    assert bad_match.group(1) == " I don't know."
    assert int(good_match.group(2)) > int(bad_match.group(2)) == 0


# --------------------------------------------------------------------------
# Through the chains themselves
# --------------------------------------------------------------------------


class ReaderLLM(LLM):
    """The reader behind LangChain's LLM interface, as the local endpoint serves it."""

    @property
    def _llm_type(self) -> str:
        return "reader"

    def _call(
        self, prompt: str, stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> str:
        return "".join(ReaderModel().generate(prompt))


DOCS = [
    Document(page_content=FILLER),
    Document(page_content="Every autumn the valley hosts a harvest market."),
    Document(page_content=BRIDGE),
    Document(page_content="A second bridge was built in 1974 in just 8 months."),
    Document(page_content="The school has about three hundred pupils."),
]


@pytest.mark.parametrize("chain_type", ["map_reduce", "refine"])
def test_load_qa_chain_with_the_reader(chain_type: str) -> None:
    from langchain_sagemaker import load_qa_chain

    chain = load_qa_chain(ReaderLLM(), chain_type=chain_type)
    result = chain.invoke({"input_documents": DOCS, "question": HOW_LONG})
    assert result["output_text"] == " for 11 weeks."


# --------------------------------------------------------------------------
# Robustness
# --------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "QUESTION:",
        "Question:",
        "=========",
        "------------",
        "FINAL ANSWER:",
        "The original question is as follows:",
        "We have provided an existing answer:",
        "We have the opportunity to refine",
        "Given the new context",
        "Context information is below.",
        "answer the question:",
        "Relevant text, if any:",
        "Score: [score",
        "I don't know.",
        "我不知道。",
        "わかりません。",
        "for 11 weeks",
        "how long",
        "who",
        "?",
        "\n",
        "\n\n",
        " ",
        "的",
        "の",
        "村の東側",
        "by",
        "before",
        "'s",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES | st.text(max_size=6), max_size=40).map("".join))
def test_chain_like_prompts_never_raise(prompt: str) -> None:
    result = answer(prompt)
    assert result
    assert "".join(ReaderModel().generate(prompt)) == result
