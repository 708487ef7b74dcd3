"""Conversation exports (Markdown for people, JSON for programs), steps included.

An export follows the branch on screen: Regenerate and Edit & resend keep the earlier
version of a turn as a branch beside the new one (store/branches.py), and `turns` and
`messages` are the branch chosen with ‹ n / m ›. The JSON exports also hold every branch
(`branches`: each stored message with the id of the message it continues), so nothing
kept is left out of them; the Markdown transcript is the branch on screen.
Each answer carries its token use (summed over the run's model calls), its estimated
cost when the model has a known price, and its feedback with any comment.

The Markdown export holds untrusted text (questions, answers, tool names) as the page
shows it (`safe_markdown`): a viewer that opens the file loads no image and runs no HTML,
and every link shows its target. Tool input, output and reasoning go in code blocks. The
JSON export is for programs and keeps every message as it was.

"Export all my data" (`export_everything`) is one JSON document of everything the store
keeps for a person: a `format_version` and named `sections` (conversations, usage,
memories), so later kinds of data (files) are new sections, not a new shape. Each
conversation in it is the per-conversation JSON export's document. Its text is data,
never markup, and every string passes the one scrubber, so no credential leaves in it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage, message_to_dict

from streamlit_agent.conversation.meter import Prices, answer_usage, conversation_usage, describe
from streamlit_agent.conversation.steps import Step, Turn, group_turns
from streamlit_agent.files.attach import references, refusal_lines, refusals
from streamlit_agent.files.kinds import describe_size
from streamlit_agent.safety.markdown import markdown_text, option_text
from streamlit_agent.safety.plain_text import message_text, printable
from streamlit_agent.safety.redact import scrub
from streamlit_agent.store.database import OwnerData, ThreadSummary
from streamlit_agent.store.files import FileInfo
from streamlit_agent.store.memories import EVERYWHERE

# 2: per-answer meter and feedback, conversation totals; 3: replaced answers are kept
# as branches (`branches`), no longer deleted.
EXPORT_FORMAT_VERSION = 3
# The whole-account document; a new section keeps the version, a changed one raises it.
EVERYTHING_FORMAT_VERSION = 1
REPLACED_ANSWERS = "kept as branches"  # what Regenerate and Edit & resend do to the earlier one
THUMBS = {1: "👍", 0: "👎"}


@dataclass(frozen=True)
class AnswerNotes:
    """What the store keeps beside the messages: feedback by answer id, and prices."""

    feedback: Mapping[str, int] = field(default_factory=dict)
    comments: Mapping[str, str] = field(default_factory=dict)
    prices: Prices = ()
    # The conversation's kept files (store/files.py), for their text in the JSON export.
    files: Sequence[FileInfo] = ()


def _when(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def _step_dict(step: Step) -> dict[str, Any]:
    return {
        "tool": step.tool,
        "input": step.input,
        "output": step.output,
        "error": step.error,
        "status": step.status,
        "duration_s": step.duration_s,
        "call_id": step.call_id,
        "said": step.said,
        "reasoning": step.reasoning,
    }


def _feedback_dict(answer_id: str | None, notes: AnswerNotes) -> dict[str, Any] | None:
    if answer_id is None or answer_id not in notes.feedback:
        return None
    return {"value": notes.feedback[answer_id], "comment": notes.comments.get(answer_id)}


def _files_dicts(question: BaseMessage | None, notes: AnswerNotes) -> dict[str, Any]:
    """The question's files: each kept one with the text read from it, and the refused."""
    if question is None:
        return {"files": [], "files_refused": []}
    kept = {f.id: f for f in notes.files if f.message_id == question.id}
    listed = []
    for ref in references(question.additional_kwargs):
        info = kept.get(ref["id"])
        listed.append(
            {
                **{k: ref[k] for k in ("id", "name", "kind", "size")},
                "sha256": info.sha256 if info else None,
                "text": info.text if info else None,
            }
        )
    return {"files": listed, "files_refused": refusals(question.additional_kwargs)}


def _turn_dict(turn: Turn, notes: AnswerNotes) -> dict[str, Any]:
    answer = turn.answer
    used = answer_usage(answer, notes.prices) if answer else None
    return {
        "question": message_text(turn.user.content) if turn.user else None,
        **_files_dicts(turn.user, notes),
        "steps": [_step_dict(step) for step in turn.steps],
        "answer": message_text(answer.content) if answer else None,
        "reasoning": turn.reasoning,
        "status": turn.status,
        "usage": (answer.response_metadata.get("usage") if answer else None),
        "model_name": (answer.response_metadata.get("model_name") if answer else None),
        "meter": used.as_dict() if used else None,
        "feedback": _feedback_dict(answer.id if answer else None, notes),
    }


def _branches(
    messages: Sequence[BaseMessage], tree: Sequence[tuple[str | None, BaseMessage]]
) -> dict[str, Any]:
    """Every stored message of every branch, in the order stored, each a LangChain message
    dict with `parent_id` (the message it continues; null for a first question) beside."""
    return {
        "on_screen_leaf": messages[-1].id if messages else None,
        "messages": [{"parent_id": parent, **message_to_dict(m)} for parent, m in tree],
    }


def conversation_document(
    thread: ThreadSummary | None,
    messages: Sequence[BaseMessage],
    notes: AnswerNotes | None = None,
    tree: Sequence[tuple[str | None, BaseMessage]] | None = None,
) -> dict[str, Any]:
    """The branch on screen's messages (as LangChain message dicts, re-loadable) plus a
    per-turn summary; with `tree`, every branch too (`branches`)."""
    notes = notes or AnswerNotes()
    document = {
        "format": "streamlit-agent-conversation",
        "version": EXPORT_FORMAT_VERSION,
        "conversation": {
            "id": thread.id if thread else None,
            "title": thread.title if thread else "",
            "model": thread.model if thread else None,
            "created_at": _when(thread.created_at) if thread else None,
            "updated_at": _when(thread.updated_at) if thread else None,
            "usage": conversation_usage(messages, notes.prices).as_dict(),
            "replaced_answers": REPLACED_ANSWERS,
        },
        "turns": [_turn_dict(turn, notes) for turn in group_turns(list(messages))],
        "messages": [message_to_dict(m) for m in messages],
    }
    if tree is not None:
        document["branches"] = _branches(messages, tree)
    return document


def _dumps(document: Any) -> str:
    # ensure_ascii keeps NULs and lone surrogates representable in any JSON reader.
    return json.dumps(document, ensure_ascii=True, indent=2, default=str)


def export_json(
    thread: ThreadSummary | None,
    messages: Sequence[BaseMessage],
    notes: AnswerNotes | None = None,
    tree: Sequence[tuple[str | None, BaseMessage]] | None = None,
) -> str:
    """The conversation's document (`conversation_document`) as JSON text."""
    return _dumps(conversation_document(thread, messages, notes, tree))


def _scrubbed(value: Any) -> Any:
    """`value` with every string (keys too) scrubbed of credentials."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {_scrubbed(k): _scrubbed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrubbed(item) for item in value]
    return value


def export_everything(data: OwnerData, owner: str, prices: Prices = ()) -> str:
    """Everything the store keeps for `owner` as one versioned JSON document."""
    conversations = [
        {
            **conversation_document(
                stored.thread,
                stored.messages,
                AnswerNotes(stored.feedback, stored.comments, prices, stored.files),
                stored.tree,
            ),
            "tool_choice": stored.tool_choice,
            "model_choice": stored.model_choice,
            "unreadable_messages": stored.messages.unreadable,
        }
        for stored in data.conversations
    ]
    document = {
        "format": "streamlit-agent-everything",
        "format_version": EVERYTHING_FORMAT_VERSION,
        "exported_at": _when(time.time()),
        "owner": owner,
        "sections": {
            "conversations": {
                "count": len(conversations),
                # Newest first; the export is capped, and says what it left out.
                "left_out": data.conversations_left_out,
                "complete": data.conversations_left_out == 0,
                "conversation_format_version": EXPORT_FORMAT_VERSION,
                "items": conversations,
            },
            "usage": {
                "totals": data.usage_totals,
                "left_out": data.usage_left_out,
                "complete": data.usage_left_out == 0,
                "records": [
                    {"kind": u.kind, "amount": u.amount, "at": _when(u.at)} for u in data.usage
                ],
            },
            # Added in format 1 as a new section: readers of the others are unchanged.
            "memories": {
                "count": len(data.memories),
                "complete": True,  # at most MEMORY_MAX_PER_PERSON: never capped
                "off_everywhere": EVERYWHERE in data.memory_off,
                "off_in_conversations": [s for s in data.memory_off if s != EVERYWHERE],
                "items": [
                    {
                        "id": m.id,
                        "text": m.text,
                        "created_at": _when(m.created_at),
                        "updated_at": _when(m.updated_at),
                    }
                    for m in data.memories
                ],
            },
        },
    }
    return _dumps(_scrubbed(document))


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return longest


def code_block(text: str) -> str:
    """`text` as a Markdown code block, whatever backticks it holds."""
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return f"{fence}\n{text}\n{fence}"


def code_span(line: str) -> str:
    """`line` (not empty, no line break) as a Markdown code span, whatever backticks it
    holds: its delimiters are longer than any run inside, and a space pads an edge that
    is a backtick or a space (CommonMark strips one from each side, unless all is space)."""
    ticks = "`" * (_longest_backtick_run(line) + 1)
    edges = line[:1] + line[-1:]
    pad = " " if line.strip(" ") and ("`" in edges or " " in edges) else ""
    return f"{ticks}{pad}{line}{pad}{ticks}"


def _input_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _answer_notes(answer: BaseMessage | None, notes: AnswerNotes) -> list[str]:
    """The answer's meter and feedback lines, as the page shows them."""
    lines = []
    used = answer_usage(answer, notes.prices) if answer is not None else None
    if used is not None:
        lines += [f"_Tokens: {describe(used)}_", ""]
    feedback = _feedback_dict(answer.id if answer is not None else None, notes)
    if feedback is not None:
        lines += [f"Feedback: {THUMBS.get(feedback['value'], feedback['value'])}", ""]
        if feedback["comment"]:
            lines += [code_block(feedback["comment"]), ""]
    return lines


def _file_lines(question: BaseMessage | None) -> list[str]:
    """The question's files as a list: name, type and size; refused ones with the reason."""
    kwargs = question.additional_kwargs if question is not None else {}
    refs, refused = references(kwargs), refusals(kwargs)
    lines = [
        f"- 📎 {_line(r['name'])} ({r['kind'].upper()}, {describe_size(r['size'])})" for r in refs
    ]
    lines += [f"- Not attached: {_line(line)}" for line in refusal_lines(refused, 50)]
    return ["Files:", "", *lines, ""] if lines else []


def _line(text: str) -> str:
    """Untrusted text for one line of the transcript (a heading, a list item)."""
    return markdown_text(option_text(text))


def export_markdown(
    thread: ThreadSummary | None,
    messages: Sequence[BaseMessage],
    notes: AnswerNotes | None = None,
) -> str:
    """A readable transcript: each question, its tool steps and the answer."""
    notes = notes or AnswerNotes()
    title = _line((thread.title if thread else "") or "Conversation")
    lines = [f"# {title}", ""]
    if thread is not None:
        lines += [f"- Conversation: `{thread.id}`"]
        if thread.model:
            lines += [f"- Model: {_line(thread.model)}"]
        lines += [f"- Exported: {_when(time.time())}"]
        lines += [f"- Tokens: {describe(conversation_usage(messages, notes.prices))}"]
        lines += ["- The branch on screen; other versions (Regenerate, Edit & resend) are in"]
        lines += ["  the JSON export.", ""]
    for number, turn in enumerate(group_turns(list(messages)), start=1):
        question = message_text(turn.user.content) if turn.user else ""
        lines += [f"## {number}. Question", "", markdown_text(question), ""]
        lines += _file_lines(turn.user)
        for step in turn.steps:
            if step.reasoning:
                lines += ["### Thinking", "", code_block(step.reasoning), ""]
            if step.said.strip():
                lines += [markdown_text(step.said), ""]
            duration = f" · {step.duration_s:.2f} s" if step.duration_s is not None else ""
            tool, status = _line(step.tool), _line(step.status)
            lines += [f"### Step: {tool} ({status}{duration})", ""]
            lines += ["Input:", "", code_block(_input_text(step.input)), ""]
            lines += ["Output:", "", code_block(step.output), ""]
            if step.error and step.error != step.output:
                lines += ["Error:", "", code_block(step.error), ""]
        answer = message_text(turn.answer.content) if turn.answer else ""
        if turn.reasoning:
            lines += ["### Thinking", "", code_block(turn.reasoning), ""]
        lines += ["### Answer", "", markdown_text(answer) if answer else "_(no answer)_", ""]
        lines += _answer_notes(turn.answer, notes)
        if turn.status != "complete":
            lines += [f"_Status: {_line(turn.status)}_", ""]
    return printable("\n".join(lines))
