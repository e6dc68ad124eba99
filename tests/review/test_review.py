"""The review itself over HTTP: edits, codes, approval, rejection and the physician's
notice, escaping, the file routes, and the audit trail they leave."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from chartdrop.models import AuditEvent, Document, DraftEntry, Notice, Patient, Transcript
from tests.factories import make_scan
from tests.review.conftest import Desk, csrf_of, logged_in


def _actions(desk: Desk, entity_id: int | None = None) -> list[tuple[str, str]]:
    with desk.factory() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        return [
            (e.actor, e.action)
            for e in session.scalars(query)
            if entity_id is None or e.entity_id == entity_id
        ]


def _draft(desk: Desk, draft_id: int) -> DraftEntry:
    with desk.factory() as session:
        draft = session.get(DraftEntry, draft_id)
        assert draft is not None
        session.expunge(draft)
        return draft


def test_review_and_approve_on_each_database(desk_any_db: Desk) -> None:
    desk = desk_any_db
    draft_id = desk.draft_from_text()
    with desk.app_client() as client:
        logged_in(client, "tech1")
        queue = client.get("/queue")
        assert f'href="/drafts/{draft_id}"' in queue.text and "Dr. Alan Grant" in queue.text
        page = client.get(f"/drafts/{draft_id}")
        assert page.status_code == 200
        assert "LOPEZ" in page.text and "Hypertension" in page.text
        token = csrf_of(client, f"/drafts/{draft_id}")
        # correct a field; the evidence span and the recognised value are kept
        client.post(
            f"/drafts/{draft_id}/demographics",
            data={"mrn": "447220", "first_name": "Maria", "csrf_token": token},
        )
        # change the first problem's code, add one, correct the text
        client.post(
            f"/drafts/{draft_id}/problems/0/code",
            data={"code": "i119", "assertion": "present", "csrf_token": token},
        )
        client.post(
            f"/drafts/{draft_id}/problems",
            data={
                "text": "asthma",
                "assertion": "historical",
                "code": "J45.909",
                "csrf_token": token,
            },
        )
        client.post(f"/drafts/{draft_id}/text", data={"text": "Corrected.", "csrf_token": token})
        draft = _draft(desk, draft_id)
        assert draft.demographics["mrn"]["value"] == "447220"
        assert draft.demographics["mrn"]["recognised"] == "447219"
        assert draft.demographics["mrn"]["start"] is not None
        assert draft.problems[0]["selected"]["code"] == "I11.9"
        assert draft.problems[-1]["text"] == "asthma"
        assert draft.problems[-1]["selected"]["code"] == "J45.909"
        assert draft.text == "Corrected." and draft.edited_by == "tech1"
        assert draft.physician_id == desk.users["grant"]  # matched from "Dr. Alan Grant"
        with desk.factory() as session:
            original = session.scalar(
                select(Transcript.text).where(Transcript.document_id == draft.document_id)
            )
        assert original is not None and "447219" in original  # the recogniser's text stays

        response = client.post(
            f"/drafts/{draft_id}/approve", data={"patient": "new", "csrf_token": token}
        )
        assert response.status_code == 303 and response.headers["location"] == "/queue"
        assert f'href="/drafts/{draft_id}"' not in client.get("/queue").text
        # approving twice is refused
        again = client.post(f"/drafts/{draft_id}/approve", data={"csrf_token": token})
        assert again.status_code == 303 and again.headers["location"] == f"/drafts/{draft_id}"
    draft = _draft(desk, draft_id)
    assert draft.state == "approved" and draft.reviewer == "tech1"
    assert all(p["confirmed"] for p in draft.problems)
    with desk.factory() as session:
        patient = session.get(Patient, draft.patient_id)
        assert patient is not None and patient.mrn == "447220"
    actions = _actions(desk, draft_id)
    assert ("tech1", "viewed") in actions
    assert actions.count(("tech1", "edited")) == 4
    assert ("tech1", "approved") in actions


def test_linking_to_an_existing_patient(desk: Desk) -> None:
    first, second = (
        desk.draft_from_text(name="a.txt"),
        desk.draft_from_text(
            name="b.txt", text="PROGRESS NOTE\nPatient: LOPEZ, MARIA  DOB: 03/04/1955\nCough.\n"
        ),
    )
    with desk.app_client() as client:
        logged_in(client, "tech1")
        token = csrf_of(client, "/queue")
        client.post(f"/drafts/{first}/approve", data={"patient": "auto", "csrf_token": token})
        page = client.get(f"/drafts/{second}")
        assert "Link to patient #" in page.text  # matched by name and date of birth
        patient_id = _draft(desk, first).patient_id
        client.post(
            f"/drafts/{second}/approve", data={"patient": str(patient_id), "csrf_token": token}
        )
    assert _draft(desk, second).patient_id == patient_id
    assert ("tech1", "viewed") in [(a, b) for a, b in _actions(desk, patient_id)]


def test_reject_sends_a_notice_the_physician_sees_and_answers(desk_any_db: Desk) -> None:
    desk = desk_any_db
    draft_id = desk.draft_from_text()
    reason = "Please state the date of service."
    with desk.app_client() as tech, desk.app_client() as doc, desk.app_client() as other:
        logged_in(tech, "tech1")
        token = csrf_of(tech, "/queue")
        empty = tech.post(f"/drafts/{draft_id}/reject", data={"reason": " ", "csrf_token": token})
        assert empty.headers["location"] == f"/drafts/{draft_id}"  # a reason is required
        tech.post(f"/drafts/{draft_id}/reject", data={"reason": reason, "csrf_token": token})
        assert _draft(desk, draft_id).state == "rejected"

        logged_in(doc, "grant")
        mine = doc.get("/mine")
        assert reason in mine.text and "Deficiency notices" in mine.text
        page = doc.get(f"/mine/{draft_id}")
        assert page.status_code == 200 and reason in page.text
        token = csrf_of(doc, "/mine")
        doc.post(f"/mine/{draft_id}/reply", data={"body": "Seen 11/20.", "csrf_token": token})
        assert "Seen 11/20." in doc.get(f"/mine/{draft_id}").text
        assert "Replies from physicians" in tech.get("/queue").text

        logged_in(other, "sattler")  # another physician sees nothing of it
        assert reason not in other.get("/mine").text
        assert other.get(f"/mine/{draft_id}").status_code == 404
        assert other.get(f"/drafts/{draft_id}/source").status_code == 404
    with desk.factory() as session:
        notices = session.scalars(select(Notice).order_by(Notice.id)).all()
        assert [(n.kind, n.recipient_id) for n in notices] == [
            ("deficiency", desk.users["grant"]),
            ("reply", None),
        ]
    actions = _actions(desk, draft_id)
    assert ("tech1", "rejected") in actions and ("tech1", "notice_sent") in actions
    assert ("grant", "replied") in actions and ("grant", "viewed") in actions


def test_medications_and_procedures_are_shown_with_their_evidence(
    desk: Desk, client: TestClient
) -> None:
    text = "PROGRESS NOTE\nThe skin was infiltrated with Marcaine. Colonoscopy last year.\n"
    draft_id = desk.draft_from_text(text)
    logged_in(client, "tech1")
    page = client.get(f"/drafts/{draft_id}").text
    card = page[page.index('id="medications-procedures"') : page.index('id="deficiencies"')]
    start = text.index("Marcaine")
    assert f'data-start="{start}" data-end="{start + len("Marcaine")}"' in card
    assert "bupivacaine" in card  # the generic name beside the brand
    assert "Colonoscopy" in card


def test_markup_in_a_transcript_is_escaped(desk: Desk, client: TestClient) -> None:
    draft_id = desk.draft_from_text(
        "PROGRESS NOTE\nDictated by: Dr. Alan Grant\n<script>alert('x')</script> "
        "<img src=x onerror=alert(1)> Hypertension.\n"
    )
    logged_in(client, "tech1")
    page = client.get(f"/drafts/{draft_id}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page
    # the JSON data block escapes < and > too
    assert "\\u003cscript\\u003e" in page


def test_automatic_corrections_are_marked_in_the_source(desk: Desk, client: TestClient) -> None:
    """Each word chartdrop changed is shown struck through, with what it wrote and why."""
    draft_id = desk.draft_from_text()
    words = [
        {"text": w, "confidence": c, "start": float(k), "end": k + 0.8}
        for k, (w, c) in enumerate(
            [("systemic", 0.9), ("menus", 0.3), ("return.", 0.9), ("<b>a", 0.4), ("trail", 0.5)]
        )
    ]
    fixes = [
        {"original": "menus", "replacement": "venous", "source": "sound-alike", "score": 0.79,
         "first_word": 1, "last_word": 1, "confidence": 0.3},
        {"original": "<b>a trail", "replacement": "atrial", "source": "problem", "score": 0.91,
         "first_word": 3, "last_word": 4, "confidence": 0.45},
    ]  # fmt: skip
    segments = [
        {"text": "systemic venous return.", "words": words[:3], "corrections": fixes[:1]},
        {"text": "atrial", "words": words[3:], "corrections": fixes[1:]},
    ]
    with desk.factory.begin() as session:
        draft = session.get(DraftEntry, draft_id)
        assert draft is not None
        draft.document.kind = "audio"
        session.execute(
            update(Transcript)
            .where(Transcript.document_id == draft.document_id)
            .values(segments=segments)
        )
    logged_in(client, "tech1")
    page = client.get(f"/drafts/{draft_id}").text
    assert page.count('class="w fixed"') + page.count('class="w low fixed"') == 3
    assert '<ins class="fix"' in page and ">venous</ins>" in page and ">atrial</ins>" in page
    assert "heard \u201cmenus\u201d, written \u201cvenous\u201d (sound-alike correction" in page
    # The replacement follows the last word of a multi-word correction, and text is escaped.
    assert page.index(">trail</span>") < page.index(">atrial</ins>")
    assert "<b>a" not in page and "&lt;b&gt;a" in page


def test_source_file_is_served_only_from_the_archive(desk: Desk, client: TestClient) -> None:
    draft_id = desk.draft_from_text()
    logged_in(client, "tech1")
    response = client.get(f"/drafts/{draft_id}/source")
    assert response.status_code == 200 and b"LOPEZ" in response.content
    assert "note.txt" not in response.headers.get("content-disposition", "")
    secret = desk.root / "outside.txt"
    secret.write_text("not for the desk", encoding="utf-8")
    archive = desk.settings.archive_dir
    for stored in (str(secret), str(archive / ".." / ".." / "outside.txt"), "/etc/passwd"):
        with desk.factory.begin() as session:
            session.execute(
                update(Document)
                .where(Document.id == _draft(desk, draft_id).document_id)
                .values(stored_path=stored)
            )
        response = client.get(f"/drafts/{draft_id}/source")
        assert response.status_code == 404, stored
        assert b"not for the desk" not in response.content
    assert client.get("/drafts/999/source").status_code == 404


def test_scan_pages_render_with_word_boxes(desk: Desk, client: TestClient, tmp_path: Path) -> None:
    scan = make_scan(
        "PROGRESS NOTE\nPatient: LOPEZ, MARIA DOB: 03/04/1955\nAssessment: Hypertension.",
        tmp_path / "scan.png",
        dpi=150,
    )
    draft_id = desk.draft_from_file(scan)
    logged_in(client, "tech1")
    page = client.get(f"/drafts/{draft_id}")
    assert f'src="/drafts/{draft_id}/pages/1"' in page.text
    assert '"boxes": {"1": [' in page.text
    image = client.get(f"/drafts/{draft_id}/pages/1")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert client.get(f"/drafts/{draft_id}/pages/2").status_code == 404


def test_code_search(desk: Desk, client: TestClient) -> None:
    logged_in(client, "tech1")
    token = csrf_of(client, "/queue")
    headers = {"X-CSRF-Token": token}
    by_words = client.post(
        "/api/codes/search", json={"q": "essential hypertension"}, headers=headers
    )
    assert {"code": "I10", "description": "Essential (primary) hypertension"} in by_words.json()[
        "results"
    ]
    by_code = client.post("/api/codes/search", json={"q": "E11.9"}, headers=headers).json()
    assert by_code["results"][0]["code"] == "E11.9"


def test_bad_code_and_bad_date_are_refused_with_a_message(desk: Desk, client: TestClient) -> None:
    draft_id = desk.draft_from_text()
    logged_in(client, "tech1")
    token = csrf_of(client, "/queue")
    client.post(f"/drafts/{draft_id}/problems/0/code", data={"code": "ZZZ", "csrf_token": token})
    assert "not a billable ICD-10-CM code" in client.get(f"/drafts/{draft_id}").text
    client.post(
        f"/drafts/{draft_id}/demographics", data={"date_of_birth": "4 March", "csrf_token": token}
    )
    assert "YYYY-MM-DD" in client.get(f"/drafts/{draft_id}").text
    assert _draft(desk, draft_id).edited_by is None


def test_admin_adds_a_user_and_reads_the_audit_log(desk: Desk, client: TestClient) -> None:
    logged_in(client, "admin1")
    token = csrf_of(client, "/admin/users")
    form = {"username": "tech2", "display_name": "T Two", "role": "technician"}
    client.post("/admin/users", data={**form, "password": "short", "csrf_token": token})
    assert "at least 10 characters" in client.get("/admin/users").text
    client.post("/admin/users", data={**form, "password": "long enough pw", "csrf_token": token})
    assert "tech2" in client.get("/admin/users").text
    audit = client.get("/admin/audit").text
    assert "user_created" in audit and "The audit chain verifies" in audit
    with desk.factory.begin() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == 1).values(actor="intruder"))
    assert "The audit chain is broken" in client.get("/admin/audit").text


def test_queue_is_oldest_first_and_filters(desk: Desk, client: TestClient) -> None:
    complete = desk.draft_from_text(name="a.txt")
    lacking = desk.draft_from_text(name="b.txt", text="Patient has asthma.\n")
    logged_in(client, "tech1")
    page = client.get("/queue").text
    assert page.index(f"/drafts/{complete}") < page.index(f"/drafts/{lacking}")
    with desk.factory() as session:
        codes = [d["code"] for d in session.get(DraftEntry, lacking).deficiencies]  # type: ignore[union-attr]
    assert codes
    only = client.get("/queue", params={"deficiency": codes[0]}).text
    assert f"/drafts/{lacking}" in only and f"/drafts/{complete}" not in only
    types = client.get("/queue", params={"type": "progress_note"}).text
    assert f"/drafts/{complete}" in types and f"/drafts/{lacking}" not in types


OPERATIVE_NOTE = (
    "OPERATIVE REPORT\n"
    "Patient: LOPEZ, MARIA  DOB: 03/04/1955  MRN: 447219\n"
    "Date of service: 11/20/2026\n"
    "Surgeon: Dr. Alan Grant\n"
    "POSTOPERATIVE DIAGNOSIS: Left inguinal hernia.\n"
    "DESCRIPTION OF PROCEDURE: The hernia sac was identified and ligated. "
    "No further bleeding was identified.\n"
)


def test_problems_where_a_coder_does_not_code_from_are_charted_only_on_request(
    desk: Desk, client: TestClient
) -> None:
    from chartdrop.chart.entry import snapshot

    draft_id = desk.draft_from_text(OPERATIVE_NOTE, name="op.txt")
    problems = _draft(desk, draft_id).problems
    charted = {p["text"].lower(): p["charted"] for p in problems}
    assert charted["inguinal hernia"] is True
    assert charted["bleeding"] is False  # the operative narrative's "no further bleeding"
    bleeding = next(i for i, p in enumerate(problems) if p["text"].lower() == "bleeding")
    hernia = next(i for i, p in enumerate(problems) if p["text"].lower() == "hernia")
    assert problems[hernia]["charted"] is False

    logged_in(client, "tech1")
    page = client.get(f"/drafts/{draft_id}").text
    assert "Also mentioned (" in page
    assert f'action="/drafts/{draft_id}/problems/{hernia}/chart"' in page
    assert f'action="/drafts/{draft_id}/problems/{bleeding}/chart"' in page
    token = csrf_of(client, f"/drafts/{draft_id}")
    client.post(f"/drafts/{draft_id}/problems/{hernia}/chart", data={"csrf_token": token})
    again = client.post(f"/drafts/{draft_id}/problems/{hernia}/chart", data={"csrf_token": token})
    assert again.status_code == 303  # refused with a message, nothing changed
    assert _draft(desk, draft_id).problems[hernia]["charted_by"] == "tech1"
    client.post(f"/drafts/{draft_id}/approve", data={"patient": "new", "csrf_token": token})

    draft = _draft(desk, draft_id)
    assert draft.state == "approved"
    assert draft.problems[hernia]["confirmed"] and not draft.problems[bleeding].get("confirmed")
    with desk.factory() as session:
        entry = snapshot(session.get(DraftEntry, draft_id))  # type: ignore[arg-type]
    assert sorted(p.text.lower() for p in entry.problems) == ["hernia", "inguinal hernia"]
    assert _actions(desk, draft_id).count(("tech1", "edited")) == 1


GASTROPARESIS_NOTE = (
    "Patient: LOPEZ, MARIA  DOB: 03/04/1955  MRN: 447219\n"
    "Date of service: 11/20/2026\n"
    "Attending physician: Dr. Alan Grant\n"
    "ASSESSMENT: 1. Diabetic gastroparesis. 2. Type 2 diabetes mellitus, uncontrolled. "
    "3. Chronic kidney disease stage 2.\n"
)


def test_codes_charted_with_a_problem_are_shown_dropped_and_exported(
    desk: Desk, client: TestClient
) -> None:
    from chartdrop.chart.entry import snapshot

    draft_id = desk.draft_from_text(GASTROPARESIS_NOTE, name="gp.txt")
    problems = _draft(desk, draft_id).problems
    index = {p["text"].lower(): i for i, p in enumerate(problems)}
    gastroparesis = problems[index["diabetic gastroparesis"]]
    assert [c["code"] for c in gastroparesis["also"]] == ["K31.84"]
    diabetes = problems[index["type 2 diabetes mellitus, uncontrolled"]]
    assert diabetes["icd10cm"][0]["code"] == "E11.65"
    assert [c["code"] for c in diabetes["also"]] == ["E11.22"]

    logged_in(client, "tech1")
    page = client.get(f"/drafts/{draft_id}").text
    assert "Charted with it:" in page and "K31.84" in page
    token = csrf_of(client, f"/drafts/{draft_id}")
    url = f"/drafts/{draft_id}/problems/{index['type 2 diabetes mellitus, uncontrolled']}/also/drop"
    client.post(url, data={"csrf_token": token, "code": "E11.22"})
    assert (
        _draft(desk, draft_id).problems[index["type 2 diabetes mellitus, uncontrolled"]]["also"]
        == []
    )
    assert ("tech1", "edited") in _actions(desk, draft_id)
    client.post(f"/drafts/{draft_id}/approve", data={"patient": "new", "csrf_token": token})

    with desk.factory() as session:
        entry = snapshot(session.get(DraftEntry, draft_id))  # type: ignore[arg-type]
    assert sorted(p.code for p in entry.problems if p.code) == [
        "E11.43",
        "E11.65",
        "K31.84",
        "N18.2",
    ]
