"""The built-in renderer: every message kind, variation per recipient, overrides, the sandbox."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followup import Engine, State, load_rulebook, load_state, parse_instant
from followup.delivery import DeliveryError
from followup.delivery.messages import Renderer, build_context, render_message
from followup.delivery.messages.checks import followup_check_message
from followup.plugins import build_plugin_manager

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "job-search.yaml"
NOW = parse_instant("2026-11-30T09:30:00+01:00")


@pytest.fixture(scope="module")
def example() -> tuple[State, Any]:
    state = load_state(EXAMPLE)
    return state, Engine(load_rulebook()).evaluate(state, NOW)


def render(state: State, action: Any, **context: Any) -> Any:
    values = build_context(state, action, {}, now=NOW)
    values.update(context)
    return render_message(values)


def application_doc(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "acme",
        "company": "Acme Tools",
        "position": "Data Engineer",
        "status": "interviewing",
        "interviews": [
            {
                "id": "onsite",
                "starts_at": "2026-11-02T10:00:00+01:00",
                "ended_at": "2026-11-02T12:00:00+01:00",
                "topics": ["batch scheduling", "the observability budget", "hiring plans"],
                "interviewers": [
                    {"id": "ana", "name": "Ana Lopes", "title": "Director of Engineering", "email": "ana@acme.example"},
                    {"id": "ben", "name": "Ben Ito", "title": "Staff Engineer", "email": "ben@acme.example"},
                    {"id": "cleo", "name": "Cleo Marsh", "title": "Product Manager", "email": "cleo@acme.example"},
                ],
            }
        ],
    }
    doc.update(extra)
    return doc


def state_of(*applications: dict[str, Any]) -> State:
    return load_state(
        {
            "version": 1,
            "candidate": {
                "name": "Alex Candidate",
                "email": "alex@example.org",
                "timezone": "Europe/Berlin",
                "references": [{"id": "ref-kim", "name": "Kim Lindqvist", "email": "kim@example.org"}],
            },
            "applications": list(applications),
        }
    )


def test_thank_you_notes_to_one_interviews_panel_all_differ_and_name_the_person(example: tuple[State, Any]) -> None:
    state = state_of(application_doc())
    agenda = Engine(load_rulebook()).evaluate(state, parse_instant("2026-11-03T09:00:00+01:00"))
    notes = [render(state, a) for a in agenda if a.kind == "thank_you_note"]
    assert len(notes) == 3
    bodies = [n.body for n in notes]
    assert len(set(bodies)) == 3
    for note, (name, title) in zip(
        sorted(notes, key=lambda n: n.recipient.name),
        [("Ana Lopes", "Director of Engineering"), ("Ben Ito", "Staff Engineer"), ("Cleo Marsh", "Product Manager")],
        strict=True,
    ):
        assert name.split()[0] in note.body
        assert title in note.body
    # each interviewer is thanked for a different topic of the interview
    topics = [
        next(t for t in ("batch scheduling", "the observability budget", "hiring plans") if t in b) for b in bodies
    ]
    assert len(set(topics)) == 3
    # the phrasing differs too, not only the names: strip the personal parts and compare
    skeletons = set()
    for note in notes:
        text = note.body
        for word in (note.recipient.name, note.recipient.name.split()[0], note.recipient.title, *topics):
            text = text.replace(word, "")
        skeletons.add(text)
    assert len(skeletons) == 3


def test_the_same_input_gives_the_same_note(example: tuple[State, Any]) -> None:
    state, agenda = example
    action = agenda.get("thank-you-note:northwind-data:onsite:jonas")
    first = render(state, action)
    again = render(load_state(EXAMPLE), action)
    assert first == dataclasses.replace(again, action=first.action)


def test_every_kind_of_the_default_rulebook_renders_and_every_phrasing_passes_the_checks() -> None:
    """Render each kind once per phrasing slot position, so every option of every choose() is spell-checked."""
    offer_app = application_doc(
        id="quill",
        company="Quill Media",
        status="offer",
        priority=5,
        offer={"received_at": "2026-11-03T16:00:00+01:00", "respond_by": "2026-11-10"},
        interviews=[],
    )
    wanted = application_doc(priority=1, follow_up_requested_on="2026-11-04", decision_expected_by="2026-11-05")
    rejected = application_doc(
        id="cobalt", company="Cobalt Retail", status="rejected", status_changed_at="2026-11-03T10:00:00+01:00"
    )
    upcoming = application_doc(
        id="delta",
        company="Delta Robotics",
        interviews=[
            {
                "id": "first",
                "starts_at": "2026-11-04T11:00:00+01:00",
                "interviewers": [{"id": "tom", "name": "Tom Nowak", "title": "Head of Research"}],
            }
        ],
    )
    missing = application_doc(
        id="harbor",
        company="Harbor Logistics",
        preferred_medium="postal",
        interviews=[
            {
                "id": "panel",
                "starts_at": "2026-11-02T14:00:00+01:00",
                "ended_at": "2026-11-02T15:00:00+01:00",
                "interviewers": [{"id": "lars", "name": "Lars Petersen"}],
            }
        ],
    )
    state = state_of(wanted, offer_app, rejected, upcoming, missing)
    engine = Engine(load_rulebook())
    kinds: set[str] = set()
    for now in ("2026-11-03T09:00:00+01:00", "2026-11-04T09:00:00+01:00", "2026-11-12T09:00:00+01:00"):
        agenda = engine.evaluate(state, parse_instant(now))
        for action in agenda:
            if action.status == "done":
                continue
            for index in range(3):
                context = build_context(state, action, {}, now=parse_instant(now))
                context["recipient_index"] = index
                message = render_message(context)
                assert message.subject and message.body.endswith("\n")
                blocks = [b for b in followup_check_message(message, context) if b.check != "contact-detail"]
                assert blocks == [], (action.key, index, message.body)
                kinds.add(action.kind)
    # follow_up needs an unanswered status call first
    follow = application_doc(
        id="bluepeak",
        company="Bluepeak",
        applied_at="2026-10-01",
        contacts=[{"at": "2026-11-10T10:00:00+01:00", "kind": "status_call"}],
    )
    state = state_of(follow)
    agenda = engine.evaluate(state, parse_instant("2026-11-20T09:00:00+01:00"))
    for action in agenda.with_status("due", "overdue", "upcoming"):
        message = render_message(build_context(state, action, {}, now=NOW))
        assert followup_check_message(message, build_context(state, action, {})) == []
        kinds.add(action.kind)
    assert kinds >= {
        "thank_you_note",
        "bridge_note",
        "follow_up",
        "requested_follow_up",
        "leverage_follow_up",
        "reference_alert",
        "ask_decision_timeline",
        "collect_interviewer_details",
        "status_call",
        "keep_searching",
    }


def test_a_postal_note_comes_with_an_escaped_printable_letter() -> None:
    doc = application_doc(preferred_medium="postal")
    doc["interviews"][0]["interviewers"] = [
        {
            "id": "ana",
            "name": "Ana <b>Lopes</b>",
            "title": "Director",
            "postal_address": "Acme Tools\nMain Street 1\n10115 Berlin",
        }
    ]
    state = state_of(doc)
    action = (
        Engine(load_rulebook())
        .evaluate(state, parse_instant("2026-11-03T09:00:00+01:00"))
        .get("thank-you-note:acme:onsite:ana")
    )
    message = render(state, action)
    assert message.medium == "postal"
    assert message.html is not None
    assert "@page" in message.html and "@media print" in message.html
    assert "Ana &lt;b&gt;Lopes&lt;/b&gt;" in message.html
    assert "<b>Lopes" not in message.html
    assert "Main Street 1" in message.html


def test_templates_cannot_reach_python_internals(tmp_path: Path, example: tuple[State, Any]) -> None:
    state, agenda = example
    action = agenda.get("thank-you-note:northwind-data:onsite:jonas")
    attacks = [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ candidate.__class__.__init__.__globals__ }}",
        "{{ state.applications.__class__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ config.update({'x': 1}) }}",
    ]
    for index, attack in enumerate(attacks):
        folder = tmp_path / str(index)
        folder.mkdir()
        (folder / "thank_you_note.txt").write_text(
            "{% block subject %}Hi{% endblock %}{% block body %}" + attack + "{% endblock %}"
        )
        with pytest.raises(DeliveryError) as caught:
            Renderer(folder).render(build_context(state, action, {}, now=NOW))
        assert caught.value.transient is False
        assert "failed to render" in str(caught.value)


def test_a_user_template_overrides_the_shipped_one_and_can_extend_it(
    tmp_path: Path, example: tuple[State, Any]
) -> None:
    state, agenda = example
    action = agenda.get("thank-you-note:northwind-data:onsite:jonas")
    (tmp_path / "thank_you_note.txt").write_text(
        '{% extends "default/thank_you_note.txt" %}{% block subject %}Thanks, {{ interviewer.name }}{% endblock %}'
    )
    context = build_context(state, action, {"template_dir": str(tmp_path)}, now=NOW)
    message = render_message(context)
    assert message.subject == "Thanks, Jonas Weber"
    assert "Northwind Analytics" in message.body  # the body is still the shipped one


def test_render_failures_are_permanent_delivery_errors_naming_the_template(
    tmp_path: Path, example: tuple[State, Any]
) -> None:
    state, agenda = example
    action = agenda.get("thank-you-note:northwind-data:onsite:jonas")
    (tmp_path / "thank_you_note.txt").write_text(
        "{% block subject %}Hi{% endblock %}{% block body %}{{ nobody.name }}{% endblock %}"
    )
    with pytest.raises(DeliveryError, match=r"thank_you_note.txt.*failed to render.*nobody") as caught:
        Renderer(tmp_path).render(build_context(state, action, {}, now=NOW))
    assert not caught.value.transient
    (tmp_path / "thank_you_note.txt").write_text("{% block subject %}Hi {% if %}{% endblock %}")
    with pytest.raises(DeliveryError, match=r"thank_you_note.txt:1"):
        Renderer(tmp_path).render(build_context(state, action, {}, now=NOW))
    custom = dataclasses.replace(action, kind="send_flowers", key="send-flowers:x")
    with pytest.raises(DeliveryError, match=r"no template for kind 'send_flowers'.*send_flowers\.txt"):
        Renderer(tmp_path).render(build_context(state, custom, {}, now=NOW))


def test_a_line_break_in_a_name_cannot_reach_the_subject() -> None:
    doc = application_doc()
    doc["position"] = "Data Engineer\nBcc: everyone@example.org"
    state = state_of(doc)
    action = (
        Engine(load_rulebook())
        .evaluate(state, parse_instant("2026-11-03T09:00:00+01:00"))
        .get("thank-you-note:acme:onsite:ana")
    )
    context = build_context(state, action, {}, now=NOW)
    context["recipient_index"] = 0
    with pytest.raises(DeliveryError, match="line break"):
        for index in range(3):  # whichever phrasing names the position
            context["recipient_index"] = index
            render_message(context)


def test_the_renderer_answers_through_the_hook(example: tuple[State, Any]) -> None:
    state, agenda = example
    action = agenda.get("bridge-note:cobalt-retail::ravi")
    pm = build_plugin_manager(entry_points=False)
    message = pm.hook.followup_render_message(action=action, context=build_context(state, action, {}, now=NOW))
    assert message.recipient.email == "ravi.menon@cobalt.example"
    assert "BI Engineer" in message.body


def test_an_application_level_follow_up_goes_to_the_lead_interviewer_with_the_right_detail(
    example: tuple[State, Any],
) -> None:
    state, agenda = example
    context = build_context(state, agenda.get("requested-follow-up:atlas-insurance:20261201T0800Z"), {})
    assert context["medium"] == "fax"
    assert context["recipient"].fax == "+49 40 5550 3399"


def test_an_action_the_state_no_longer_matches_is_a_clear_error(example: tuple[State, Any]) -> None:
    state, agenda = example
    action = dataclasses.replace(agenda.get("bridge-note:cobalt-retail::ravi"), recipient="nobody")
    from followup import InvalidInput

    with pytest.raises(InvalidInput, match="interviewer 'nobody'"):
        build_context(state, action, {})


def test_another_renderer_is_asked_before_the_built_in_one(example: tuple[State, Any]) -> None:
    from followup.plugins import hookimpl

    state, agenda = example
    action = agenda.get("bridge-note:cobalt-retail::ravi")
    context = build_context(state, action, {}, now=NOW)

    class Mine:
        @hookimpl
        def followup_render_message(self, action: Any, context: Any) -> Any:
            if action.kind != "bridge_note":
                return None
            return dataclasses.replace(render_message(context), subject="From my own renderer")

    pm = build_plugin_manager(entry_points=False)
    pm.register(Mine(), name="mine-registered-last")
    assert pm.hook.followup_render_message(action=action, context=context).subject == "From my own renderer"
    pm = build_plugin_manager(entry_points=False)
    for name in list(pm.list_name_plugin()):
        pm.unregister(name=name[0])
    pm.register(Mine(), name="mine-registered-first")
    import followup.delivery.messages

    pm.register(followup.delivery.messages, name="followup.delivery.messages")
    assert pm.hook.followup_render_message(action=action, context=context).subject == "From my own renderer"
    other = agenda.get("thank-you-note:northwind-data:onsite:jonas")
    assert (
        "From my own"
        not in pm.hook.followup_render_message(action=other, context=build_context(state, other, {})).subject
    )


_NAME = st.from_regex(r"[A-Z][a-z]{1,8} [A-Z][a-z]{1,10}", fullmatch=True)


@settings(max_examples=25, deadline=None)
@given(
    names=st.lists(_NAME, min_size=2, max_size=3, unique=True),
    topic_count=st.integers(min_value=0, max_value=3),
    interview_id=st.from_regex(r"[a-z]{1,10}", fullmatch=True),
)
def test_notes_to_one_panel_always_differ_and_never_change(
    names: list[str], topic_count: int, interview_id: str
) -> None:
    doc = application_doc()
    interview = doc["interviews"][0]
    interview["id"] = interview_id
    interview["topics"] = interview["topics"][:topic_count]
    interview["interviewers"] = [
        {"id": f"p{i}", "name": name, "title": "Engineer", "email": f"p{i}@acme.example"}
        for i, name in enumerate(names)
    ]
    state = state_of(doc)
    agenda = Engine(load_rulebook()).evaluate(state, parse_instant("2026-11-03T09:00:00+01:00"))
    actions = [a for a in agenda if a.kind == "thank_you_note"]
    notes = [render(state, a) for a in actions]
    skeletons = {n.body.replace(n.recipient.name, "").replace(n.recipient.name.split()[0], "") for n in notes}
    assert len(skeletons) == len(names)  # different beyond the names
    assert [render(state, a).body for a in actions] == [n.body for n in notes]


def test_references_warned_about_one_employer_get_different_notes(example: tuple[State, Any]) -> None:
    state, agenda = example
    kim = render(state, agenda.get("alert-references:northwind-data::ref-kim"))
    omar = render(state, agenda.get("alert-references:northwind-data::ref-omar"))
    assert kim.body.replace("Kim", "X") != omar.body.replace("Omar", "X")
