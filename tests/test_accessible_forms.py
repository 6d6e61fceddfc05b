"""Forms tie their labels and their errors to their fields (issue: accessibility).

A form sent with mistakes answers with each wrong field marked ``aria-invalid="true"`` and
``aria-describedby`` naming the element that holds its error (which says it), and every field
has a label: django-bootstrap5's fields, the hand-written ones and allauth's alike."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

FIELDS = {"input", "select", "textarea"}
NOT_FIELDS = {"hidden", "submit", "button", "reset"}


class _Form(HTMLParser):
    """The fields of a page, the text of each element with an id, and the labels' targets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[dict[str, str]] = []
        self.labelled: set[str] = set()
        self.text: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []  # (tag, id) of the open elements

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in FIELDS and values.get("type", "") not in NOT_FIELDS:
            self.fields.append(values)
        if tag == "label" and values.get("for"):
            self.labelled.add(values["for"])
        if tag not in {"input", "br", "hr", "img", "meta", "link"}:
            self._open.append((tag, values.get("id")))
            if values.get("id"):
                self.text.setdefault(values["id"], "")

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _tag, element_id in self._open:
            if element_id:
                self.text[element_id] += data


def _parsed(html: str) -> _Form:
    form = _Form()
    form.feed(html)
    form.close()
    return form


def problems(html: str) -> list[str]:
    """What ties no label or error to its field, one sentence each."""
    form = _parsed(html)
    found = []
    for field in form.fields:
        name = field.get("name", "?")
        if not (field.get("id") in form.labelled or field.get("aria-label")):
            found.append(f"{name}: no label")
        invalid = "is-invalid" in field.get("class", "").split()
        if invalid and field.get("aria-invalid") != "true":
            found.append(f"{name}: shown invalid, but not aria-invalid")
        if field.get("aria-invalid") == "true":
            described = field.get("aria-describedby", "").split()
            if not described:
                found.append(f"{name}: invalid, with no aria-describedby")
            for element_id in described:
                if element_id not in form.text:
                    found.append(f"{name}: aria-describedby names #{element_id}, not on the page")
            if not any(form.text.get(each, "").strip() for each in described):
                found.append(f"{name}: nothing it is described by says what is wrong")
    return found


@pytest.mark.parametrize(
    ("path", "data", "wrong"),
    [
        ("/o/lakeside/tickets/new/", {"mobile_phone": "12"}, {"name", "mobile_phone"}),
        (
            "/o/lakeside/manage/invitations/",
            {"email": "not an address", "mobile_phone": "12", "role": "advisor"},
            {"full_name", "email", "mobile_phone"},
        ),
        ("/o/lakeside/teams/", {"name": ""}, {"name"}),
        ("/organizations/new/", {"name": "", "country": ""}, {"name", "country"}),
        (
            "/accounts/password/change/",
            {"oldpassword": "wrong", "password1": "short", "password2": "other"},
            {"oldpassword"},
        ),
    ],
    ids=["new ticket", "invitation", "new team", "new dealership", "password change"],
)
def test_a_form_with_mistakes_ties_each_error_to_its_field(
    admin_client, service_team, path, data, wrong
):
    response = admin_client.post(path, data)
    assert response.status_code in (200, 422)
    html = response.content.decode()
    form = _parsed(html)
    invalid = {field["name"] for field in form.fields if field.get("aria-invalid") == "true"}
    assert wrong <= invalid, f"not marked invalid: {wrong - invalid}"
    assert problems(html) == []


def test_the_check_finds_an_error_tied_to_nothing():
    html = (
        '<label for="id_a">A</label>'
        '<input name="a" id="id_a" class="form-control is-invalid" aria-invalid="true"'
        ' aria-describedby="id_a_error"><div class="invalid-feedback">Required.</div>'
        '<input name="b" id="id_b" class="form-control is-invalid">'
    )
    assert problems(html) == [
        "a: aria-describedby names #id_a_error, not on the page",
        "a: nothing it is described by says what is wrong",
        "b: no label",
        "b: shown invalid, but not aria-invalid",
    ]
