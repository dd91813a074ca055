"""The people page over plain HTTP: everyone by name with the steps waiting on them and
their load per week, time off, and the admins' import (all or nothing, its problems
listed as the CLI prints them, a size limit; others get no form and a 403)."""

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest

from baton.contract import ProjectStatus
from baton.insight.report import CROWDED_WEEK_DUES, iso_week
from baton.people import TimeOff
from baton.people_import import PeopleFileError, parse_people_file
from baton.store.people import PeopleRepo
from baton.wording import when
from tests.web.conftest import TEAM, csrf_of, eventually

_WEEK = re.compile(
    r'<li class="week(?P<classes>[^"]*)">\s*<span class="wk">W\d\d<span class="sr-only"> '
    r"\((?P<label>\d{4}-W\d\d)\), from</span></span>.*?"
    r'<span class="n">(?P<dues>\d+)<span class="sr-only"> due</span></span>\s*'
    r'(?P<flag><span class="flag">crowded</span>)?',
    re.DOTALL,
)
DASH = " \u2013 "  # between the first and last day of time off
GOOD_CSV = (
    "id,name,email,timezone,working_days,manager,backup,time_off\n"
    "dana,Dana,dana@example.com,Europe/Lisbon,mon-thu,pat,sol,{off}\n"
    "oona,Oona Outsider,oona@example.com,America/Chicago,,pat,,\n"
)
BAD_CSV = (
    "id,name,email,timezone\n"
    "dana,Dana,dana@example.com,Europe/Lisbon\n"
    "oona,Oona Outsider,not-an-email,America/Chicago\n"
)


@pytest.fixture
async def directory(site):
    """pat made an admin; afterwards the directory exactly as it was (profiles and admin
    flags; tokens are never touched by an import)."""
    repo = PeopleRepo(site.services.pool)
    before, admins = await repo.list(), await repo.admin_ids()
    await repo.set_admin("pat", True)
    yield repo
    await repo.replace_all_or_nothing(before, {p.id: p.id in admins for p in before})
    assert await repo.list() == before
    assert await repo.admin_ids() == admins


def section_of(html: str, person_id: str) -> str:
    """One person's card on the page."""
    found = re.search(
        rf'<section class="card person" id="person-{person_id}".*?</section>', html, re.S
    )
    assert found, f"no section for {person_id}"
    return found.group(0)


def weeks_in(section: str) -> dict[str, tuple[int, bool]]:
    """A card's load per week: ISO week -> (dues, marked crowded)."""
    return {m["label"]: (int(m["dues"]), bool(m["flag"])) for m in _WEEK.finditer(section)}


async def settled_weeks(client, person_id: str) -> dict[str, tuple[int, bool]]:
    """A person's load once it stays put for a second: a project another test ended a
    moment ago may still be listed as running."""
    last = None
    for _ in range(20):
        found = weeks_in(section_of((await client.get("/people")).text, person_id))
        if found == last:
            return found
        last = found
        await asyncio.sleep(1)
    raise AssertionError(f"{person_id}'s load never settled: {last}")


def sams_dues_by_week(project: ProjectStatus) -> dict[str, int]:
    """What the page counts for sam in one project: the active steps waiting on sam and
    the steps still to come sam owns, by the ISO week of their due."""
    counts: dict[str, int] = {}
    for step in project.steps:
        on_it = (step.state == "active" and "sam" in step.waiting_on) or (
            step.state == "waiting" and "sam" in step.owners and step.wont_run is None
        )
        if on_it and step.due:
            counts[iso_week(step.due)] = counts.get(iso_week(step.due), 0) + 1
    return counts


async def test_people_by_name_with_their_active_steps_and_load(site):
    async with site.http("alice") as alice:
        before = await settled_weeks(alice, "sam")
        assert len(before) == 8  # this week and the next 7
        projects = [await site.start(launch_in_days=40) for _ in range(CROWDED_WEEK_DUES)]
        first = projects[0]
        idea = first.steps[0]
        assert idea.id == "idea" and idea.state == "active" and idea.waiting_on == ["sam"]

        def counted(response) -> bool:
            text = response.text
            return all(p.workflow_id in section_of(text, "sam") for p in projects)

        page = await eventually(lambda: alice.get("/people"), counted)
        assert page.status_code == 200
        html = unescape(page.text)

        # Everyone, by name (ids only as small extras), sorted by name.
        order = sorted(TEAM.items(), key=lambda item: item[1].casefold())
        places = [html.index(f'id="person-{pid}"') for pid, _ in order]
        assert places == sorted(places)
        for pid, name in TEAM.items():
            assert f'<a href="#person-{pid}">{name}</a>' in html

        sam = unescape(section_of(page.text, "sam"))
        assert "Generate idea" in sam and first.name in sam
        assert f'href="/projects/{first.workflow_id}"' in sam
        assert f"due {when(idea.due, 'UTC')}" in sam  # alice's zone: UTC
        assert "Generate idea" not in unescape(section_of(page.text, "alice"))

        expected: dict[str, int] = {}
        for project in projects:
            for week, n in sams_dues_by_week(project).items():
                expected[week] = expected.get(week, 0) + n
        after = weeks_in(section_of(page.text, "sam"))
        idea_week = iso_week(idea.due)
        assert idea_week in after
        for week, (dues, crowded) in after.items():
            assert dues == before[week][0] + expected.get(week, 0), week
            assert crowded == (dues >= CROWDED_WEEK_DUES), week
        assert after[idea_week][0] >= CROWDED_WEEK_DUES and after[idea_week][1]
        assert "Still to come" in sam and "Do keyword research" in sam  # sam is the seo too
        oona = section_of(page.text, "oona")  # on no team: nothing waits on her
        assert "No step waits on Oona Outsider right now." in oona
        assert all(dues == 0 and not crowded for dues, crowded in weeks_in(oona).values())


async def test_time_off_shows_away_now_and_what_is_coming(site, directory):
    today = datetime.now(UTC).date()
    dana = (await directory.get_many(["dana"]))["dana"]
    off = [
        TimeOff(start=today - timedelta(days=40), end=today - timedelta(days=35)),  # past
        TimeOff(start=today - timedelta(days=1), end=today + timedelta(days=2)),  # now
        TimeOff(start=today + timedelta(days=30), end=today + timedelta(days=34)),  # ahead
    ]
    await directory.replace_all_or_nothing([dana.model_copy(update={"time_off": off})])
    async with site.http("alice") as alice:
        page = await alice.get("/people")
    card = unescape(section_of(page.text, "dana"))
    assert '<span class="badge away">away now</span>' in card
    card = text_of(card)
    assert f"away now: {day(off[1].start)}{DASH}{day(off[1].end)}" in card
    assert f"{day(off[2].start)}{DASH}{day(off[2].end)}" in card
    assert day(off[0].start) not in card  # past time off is not shown
    assert "away now" not in section_of(page.text, "sam")


def day(value: date) -> str:
    return value.strftime("%a %Y-%m-%d")


def text_of(html: str) -> str:
    """What a person reads of some HTML: its text, without the tags."""
    return re.sub(r"<[^>]+>", "", html)


async def test_an_admin_imports_a_csv(site, directory):
    start = datetime.now(UTC).date() + timedelta(days=20)
    csv = GOOD_CSV.format(off=f"{start}..{start + timedelta(days=2)}")
    async with site.http("pat") as pat:
        page = await pat.get("/people")
        assert 'action="/people/import"' in page.text and 'type="file"' in page.text
        assert "People not in the file stay as they are" in page.text
        done = await pat.post(
            "/people/import",
            data={"csrf": csrf_of(page.text)},
            files={"file": ("team.csv", csv.encode(), "text/csv")},
        )
        assert done.status_code == 303 and done.headers["location"] == "/people"
        page = await pat.get("/people")
    assert "Imported 2 people from team.csv: Dana, Oona Outsider." in unescape(page.text)
    dana = unescape(section_of(page.text, "dana"))
    assert "Europe/Lisbon" in dana and "Mon-Thu, 09:00-17:00" in dana
    assert '<a href="/people#person-pat">Pat PM</a>' in dana  # manager, by name
    assert '<a href="/people#person-sol">Sol</a>' in dana  # backup
    assert day(start) in text_of(dana)
    assert "America/Chicago" in section_of(page.text, "oona")
    assert "Alice Writer" in page.text  # people not in the file are kept

    stored = await directory.get_many(["dana", "alice"])
    assert stored["dana"].timezone == "Europe/Lisbon" and stored["dana"].backup == "sol"
    assert await directory.is_admin("pat")  # no is_admin column: admins stay admins
    async with site.http("dana") as dana_client:  # her token still signs her in
        assert (await dana_client.get("/people")).status_code == 200


async def test_an_import_with_a_problem_lists_it_and_changes_nothing(
    site, directory, tmp_path, monkeypatch
):
    before = await directory.list()
    async with site.http("pat") as pat:
        page = await pat.get("/people")
        refused = await pat.post(
            "/people/import",
            data={"csrf": csrf_of(page.text)},
            files={"file": ("team.csv", BAD_CSV.encode(), "text/csv")},
        )
    assert refused.status_code == 422
    text = unescape(refused.text)
    assert "Nothing was imported" in text
    assert "line 3" in text and "field 'email'" in text
    # Each problem exactly as `baton people import team.csv` prints it.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "team.csv").write_text(BAD_CSV)
    with pytest.raises(PeopleFileError) as cli:
        parse_people_file("team.csv", [p.id for p in before])
    for problem in cli.value.problems:
        assert f"<li>{problem}</li>" in text
    assert "team.csv, line 3 (id 'oona'), field 'email'" in text
    assert await directory.list() == before


async def test_others_see_no_form_and_their_post_is_refused(site, directory):
    before = await directory.list()
    upload = {"file": ("team.csv", GOOD_CSV.format(off="").encode(), "text/csv")}
    async with site.http("sam") as sam:
        page = await sam.get("/people")
        assert page.status_code == 200
        assert 'action="/people/import"' not in page.text and "Import people" not in page.text
        refused = await sam.post("/people/import", data={"csrf": csrf_of(page.text)}, files=upload)
        assert refused.status_code == 403 and "Only admins import people" in refused.text
    async with site.http("pat") as pat:  # an admin's browser, but a form from elsewhere
        forged = await pat.post("/people/import", data={"csrf": "forged"}, files=upload)
        assert forged.status_code == 403 and "This form cannot be accepted" in forged.text
        no_token = await pat.post("/people/import", files=upload)
        assert no_token.status_code == 403
    async with site.http() as anonymous:
        assert (await anonymous.get("/people")).status_code == 303
    assert await directory.list() == before


async def test_an_oversized_file_is_refused(site, directory):
    before = await directory.list()
    header = "id,name\n"
    big = (header + "".join(f"p{n},Person {n}\n" for n in range(80_000))).encode()
    assert len(big) > 1024 * 1024
    async with site.http("pat") as pat:
        page = await pat.get("/people")
        refused = await pat.post(
            "/people/import",
            data={"csrf": csrf_of(page.text)},
            files={"file": ("team.csv", big, "text/csv")},
        )
        assert refused.status_code == 413
        assert "larger than 1 MB; nothing was imported" in refused.text
        empty = await pat.post(
            "/people/import",
            data={"csrf": csrf_of(page.text)},
            files={"file": ("", b"", "application/octet-stream")},
        )
        assert empty.status_code == 422 and "choose a file first" in empty.text
        wrong = await pat.post(
            "/people/import",
            data={"csrf": csrf_of(page.text)},
            files={"file": ("team.txt", b"id\nx\n", "text/plain")},
        )
        assert wrong.status_code == 422 and "name the file .yaml, .yml or .csv" in wrong.text
    assert await directory.list() == before


async def test_search_by_name(site):
    async with site.http("alice") as alice:
        page = await alice.get("/people", params={"q": "strat"})
        assert page.status_code == 200
        assert 'id="person-sam"' in page.text and 'id="person-alice"' not in page.text
        nobody = await alice.get("/people", params={"q": "<zz>" * 50})
        assert nobody.status_code == 200 and "name or id contains" in nobody.text
        assert "<zz>" not in nobody.text
