"""Assembly pages: permission matrix, the officer's and the delegate's flows, results, CLI."""

import html
import io
import json
import re

import pytest
from sqlalchemy import func, select, update

from consult.assembly import services
from consult.assembly.models import Ballot
from consult.extensions import db

PASSWORD = "correct-horse-battery"
CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


@pytest.fixture
def voter(delegate_user):
    """The n-th delegate's account, with a password so they can sign in."""

    def make(n):
        user = delegate_user(n)
        user.set_password(PASSWORD)
        db.session.commit()
        return user

    return make


@pytest.fixture
def people(make_user, officer):
    """One account per role of the matrix (delegate not on any roll)."""
    return {
        "participant": make_user(roles=("participant",)),
        "delegate": make_user(roles=("delegate",)),
        "organiser": officer,
    }


def status_for(client, login, user, method, url, **kwargs):
    """The status of one request made as `user` (None: anonymous)."""
    if user is not None:
        login(client, user)
    response = getattr(client, method)(url, **kwargs)
    return response.status_code, response.headers.get("Location", "")


def officer_urls(assembly):
    """Officer routes, with the method."""
    a, r = assembly.id, assembly.resolutions[0].id
    d = assembly.delegates[0].id
    return [
        ("get", f"/assemblies/{a}"),
        ("get", f"/assemblies/{a}/roll"),
        ("post", "/assemblies/"),
        ("post", f"/assemblies/{a}/roll"),
        ("post", f"/assemblies/{a}/resolutions"),
        ("post", f"/assemblies/{a}/resolutions/{r}/open"),
        ("post", f"/assemblies/{a}/resolutions/{r}/close"),
        ("post", f"/assemblies/{a}/resolutions/{r}/remove"),
        ("post", f"/assemblies/{a}/open-all"),
        ("post", f"/assemblies/{a}/close-all"),
        ("post", f"/assemblies/{a}/delegates/{d}/presence"),
        ("post", f"/assemblies/{a}/proxies"),
    ]


@pytest.mark.parametrize("role", [None, "participant", "delegate"])
def test_officer_routes_are_for_organisers_only(app, login, people, make_assembly, role):
    assembly = make_assembly()
    for method, url in officer_urls(assembly):
        client = app.test_client()
        status, location = status_for(client, login, people.get(role), method, url)
        if role is None:
            assert status == 302 and "/login" in location, url
        else:
            assert status == 403, url


def test_officer_routes_work_for_the_organiser(client, login, officer, make_assembly):
    assembly = make_assembly()
    login(client, officer)
    assert client.get(f"/assemblies/{assembly.id}").status_code == 200
    assert client.get(f"/assemblies/{assembly.id}/roll").status_code == 200
    assert client.get("/assemblies/").status_code == 200


def test_voting_page_matrix(app, login, people, make_assembly, voter):
    assembly = make_assembly()
    url = f"/assemblies/{assembly.id}/vote"
    assert status_for(app.test_client(), login, None, "get", url)[0] == 302
    assert status_for(app.test_client(), login, people["participant"], "get", url)[0] == 403
    # A delegate or an officer who is not on this roll cannot vote.
    assert status_for(app.test_client(), login, people["delegate"], "get", url)[0] == 403
    assert status_for(app.test_client(), login, people["organiser"], "get", url)[0] == 403
    assert status_for(app.test_client(), login, voter(1), "get", url)[0] == 200


def test_results_are_private_until_the_close(app, login, people, make_assembly, officer, now):
    assembly = make_assembly()
    urls = [
        f"/assemblies/{assembly.id}/minutes",
        f"/assemblies/{assembly.id}/codes",
        f"/assemblies/{assembly.id}/results.csv",
    ]
    for url in urls:
        assert "/login" in status_for(app.test_client(), login, None, "get", url)[1]
        assert status_for(app.test_client(), login, people["delegate"], "get", url)[0] == 403
        assert status_for(app.test_client(), login, officer, "get", url)[0] == 200
    api = f"/api/v1/assemblies/{assembly.id}/results"
    response = app.test_client().get(api)
    assert response.status_code == 403 and response.json["status"] == 403
    assert app.test_client().get("/api/v1/assemblies/999/results").status_code == 404
    with app.test_request_context():
        services.open_all(officer, assembly, now=now)
        services.close_all(officer, assembly, now=now)
    db.session.commit()
    for url in [*urls, api, f"/api/v1/assemblies/{assembly.id}/ballots"]:
        assert app.test_client().get(url).status_code == 200, url


def test_the_whole_assembly_through_the_pages(client, app, login, officer, voter, make_roll):
    login(client, officer)
    response = client.post(
        "/assemblies/",
        data={
            "title": "AG 2026",
            "held_on": "2026-06-20",
            "convocation": "1",
            "proxy_cap": "1",
            "allow_vote_change": "y",
        },
    )
    assert response.status_code == 303
    manage = response.headers["Location"]
    assembly_id = int(manage.rstrip("/").split("/")[-1])
    response = client.post(
        f"/assemblies/{assembly_id}/roll",
        data={"file": (io.BytesIO(make_roll(3)), "roll.csv")},
        content_type="multipart/form-data",
    )
    # The shared import pages: the columns are recognised, the preview shows 3 delegates.
    assert response.status_code == 302
    columns = response.headers["Location"]
    mapping = ["identifier", "name", "email", "section", "weight"]
    response = client.post(columns, data={f"column-{i}": k for i, k in enumerate(mapping)})
    batch = response.headers["Location"]
    assert "À créer</dt><dd>3" in client.get(batch).get_data(as_text=True)
    assert client.post(batch + "/confirm").status_code == 303
    response = client.post(
        f"/assemblies/{assembly_id}/resolutions",
        data={
            "title": "Raison d’être",
            "body": "Agir pour la santé de tous.",
            "category": "statutory",
            "kind": "motion",
        },
    )
    assert response.status_code == 303
    response = client.post(
        f"/assemblies/{assembly_id}/resolutions",
        data={
            "title": "Formulation",
            "body": "Choisir.",
            "category": "ordinary",
            "kind": "wordings",
            "wordings": "Prendre soin\nde chacun\n\nProtéger",
        },
    )
    assert response.status_code == 303
    assert client.post(f"/assemblies/{assembly_id}/open-all").status_code == 303
    page = client.get(manage).get_data(as_text=True)
    assembly = db.session.get(services.Assembly, assembly_id)
    assert assembly.freeze_hash in page
    motion, wordings = assembly.resolutions
    assert [w.body for w in wordings.wordings] == ["Prendre soin de chacun", "Protéger"]

    codes = {}
    for n, choice in [(1, "for"), (2, "for"), (3, "against")]:
        delegate_client = app.test_client()
        login(delegate_client, voter(n))
        mandate = services.find_delegate(assembly, f"D{n:03d}").id
        response = delegate_client.post(
            f"/assemblies/{assembly_id}/resolutions/{motion.id}/vote",
            data={"mandate": mandate, "choice": choice},
        )
        assert response.status_code == 303
        page = delegate_client.get(f"/assemblies/{assembly_id}/vote").get_data(as_text=True)
        codes[n] = CODE.search(page.split("Votre vote est pris en compte")[1]).group(0)
        grades = {f"grade-{w.id}": str(i) for i, w in enumerate(wordings.wordings)}
        response = delegate_client.post(
            f"/assemblies/{assembly_id}/resolutions/{wordings.id}/vote",
            data={"mandate": mandate, **grades},
        )
        assert response.status_code == 303
    assert client.post(f"/assemblies/{assembly_id}/close-all").status_code == 303

    public = app.test_client()
    listing = public.get(f"/assemblies/{assembly_id}/codes").get_data(as_text=True)
    assert all(code in listing for code in codes.values())
    second = public.get(f"/assemblies/{assembly_id}/codes?resolution=2&page=x")
    heading = 'Résolution 2\u00a0: <span lang="fr">Formulation</span>'
    assert heading in second.get_data(as_text=True)
    assert codes[1] not in second.get_data(as_text=True)
    found = public.get(f"/assemblies/{assembly_id}/codes?code={codes[3].lower()}")
    assert "Contre" in found.get_data(as_text=True)
    minutes = public.get(f"/assemblies/{assembly_id}/minutes").get_data(as_text=True)
    assert "Adoptée" in minutes and "Délégués en exercice" in minutes
    results = public.get(f"/api/v1/assemblies/{assembly_id}/results").json
    first = results["resolutions"][0]["result"]
    assert first["counts"] == {"for": 2, "against": 1, "abstention": 0, "blank": 0}
    assert first["decision"]["required_for"] == 2 and first["outcome"] == "adopted"
    assert results["resolutions"][1]["result"]["chosen"] == 1
    csv_text = public.get(f"/assemblies/{assembly_id}/results.csv").get_data(as_text=True)
    assert csv_text.splitlines()[1].startswith("1;Raison d’être;statutory;motion;closed;3;")


@pytest.fixture
def voting(make_assembly, officer, voter, login, client, now, app):
    """An open assembly and delegate 1 signed in."""
    assembly = make_assembly(allow_vote_change=False)
    with app.test_request_context():
        services.open_all(officer, assembly, now=now)
    db.session.commit()
    login(client, voter(1))
    return assembly


def test_bad_ballots_get_a_clear_answer(client, voting):
    assembly = voting
    resolution = assembly.resolutions[0]
    mandate = assembly.delegates[0].id
    url = f"/assemblies/{assembly.id}/resolutions/{resolution.id}/vote"
    response = client.post(url, data={"mandate": mandate, "choice": "peut-être"})
    assert response.status_code == 422
    assert "Choisissez pour, contre, abstention ou blanc" in response.get_data(as_text=True)
    assert client.post(url, data={"mandate": "x", "choice": "for"}).status_code == 404
    assert client.post(url, data={"mandate": 99999, "choice": "for"}).status_code == 404
    other = assembly.delegates[1].id
    response = client.post(url, data={"mandate": other, "choice": "for"})
    assert response.status_code == 422
    assert client.post(url, data={"mandate": mandate, "choice": "for"}).status_code == 303
    response = client.post(url, data={"mandate": mandate, "choice": "against"})
    assert response.status_code == 422
    assert "ne peut pas être modifié" in response.get_data(as_text=True)
    assert db.session.scalars(select(Ballot.choice)).all() == ["for"]


def _cast_reads(client, statements, url, form) -> tuple[int, list[set[str]]]:
    """The status of a cast POST and, for each of its SELECT statements, the tables it reads."""
    with statements() as sent:
        status = client.post(url, data=form).status_code
    reads = [
        set(re.findall(r"\b(?:FROM|JOIN)\s+\"?(\w+)", statement))
        for statement in sent
        if statement.startswith("SELECT")
    ]
    return status, reads


def test_a_cast_reads_the_resolution_assembly_and_roll_line_in_one_statement(
    client, voting, statements
):
    assembly = voting
    resolution = assembly.resolutions[0]
    url = f"/assemblies/{assembly.id}/resolutions/{resolution.id}/vote"
    form = {"mandate": assembly.delegates[0].id, "choice": "for"}
    status, reads = _cast_reads(client, statements, url, form)
    assert status == 303
    # the sign-in session with its person; then the resolution, its assembly and the caster's
    # roll line, whether they gave a proxy read with it; then the participation to write
    assert reads[1] == {"resolution", "assembly", "assembly_delegate", "assembly_proxy"}
    assert {"assembly_participation"} in reads[2:]
    assert not any(tables & {"assembly_delegate", "assembly_proxy"} for tables in reads[2:])
    assert db.session.scalars(select(Ballot.choice)).all() == ["for"]


def test_the_vote_page_reads_the_roll_line_and_the_mandates_in_one_statement_each(
    client, voting, officer, now, app, statements
):
    """The roll line comes with its assembly and agenda, and the mandates with their
    participations and the proxies carried."""
    assembly = voting
    giver = assembly.delegates[1]
    with app.test_request_context():
        services.give_proxy(officer, assembly, giver, assembly.delegates[0], now=now)
    db.session.commit()
    url = f"/assemblies/{assembly.id}/resolutions/{assembly.resolutions[0].id}/vote"
    assert client.post(url, data={"mandate": giver.id, "choice": "against"}).status_code == 303
    with statements() as sent:
        page = client.get(f"/assemblies/{assembly.id}/vote")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"Le vote de {giver.name} est pris en compte" in text
    reads = [set(re.findall(r"\b(?:FROM|JOIN)\s+\"?(\w+)", s)) for s in sent if "SELECT" in s]
    with_delegates = [tables for tables in reads if "assembly_delegate" in tables]
    assert with_delegates == [
        {"assembly_delegate", "assembly", "resolution"},
        {"assembly_delegate", "assembly_participation", "assembly_proxy"},
    ]
    assert all("assembly_delegate" in tables for tables in reads if "assembly_proxy" in tables)
    assert all("assembly_delegate" in tables for tables in reads if "resolution" in tables)
    # an assembly that does not exist is not found (off the roll: 403, test_voting_page_matrix)
    assert client.get(f"/assemblies/{assembly.id + 1000}/vote").status_code == 404


def test_casts_reuse_the_statement_built_for_the_first(client, voting):
    """The statement that reads a cast's target is built once per process, not per request."""
    assembly = voting
    url = f"/assemblies/{assembly.id}/resolutions/{assembly.resolutions[0].id}/vote"
    mandate = assembly.delegates[0].id
    assert client.post(url, data={"mandate": mandate, "choice": "for"}).status_code == 303
    built = services._cast_target_query.cache_info().misses
    # a second cast (refused: this assembly allows no change) reads its target again
    assert client.post(url, data={"mandate": mandate, "choice": "against"}).status_code == 422
    assert services._cast_target_query.cache_info().misses == built
    assert services._cast_target_query.cache_info().hits >= 1


def test_voting_in_person_through_the_page_takes_back_the_proxy_given(
    client, voting, officer, now, app, statements
):
    from consult.assembly.models import Proxy

    assembly = voting
    giver, holder = assembly.delegates[0], assembly.delegates[1]
    with app.test_request_context():
        services.give_proxy(officer, assembly, giver, holder, now=now)
    db.session.commit()
    resolution = assembly.resolutions[0]
    url = f"/assemblies/{assembly.id}/resolutions/{resolution.id}/vote"
    status, reads = _cast_reads(client, statements, url, {"mandate": giver.id, "choice": "against"})
    assert status == 303
    assert {"assembly_proxy"} in reads  # the proxy in force is read, to be taken back
    proxy = db.session.scalars(select(Proxy)).one()
    db.session.refresh(proxy)
    assert proxy.revoked_at is not None and proxy.revoked_reason == "voted"
    assert db.session.scalars(select(Ballot.choice)).all() == ["against"]


def test_a_cast_after_the_close_is_refused(client, voting, officer, now, app):
    assembly = voting
    resolution = assembly.resolutions[0]
    with app.test_request_context():
        services.close_resolution(officer, resolution, now=now)
    db.session.commit()
    response = client.post(
        f"/assemblies/{assembly.id}/resolutions/{resolution.id}/vote",
        data={"mandate": assembly.delegates[0].id, "choice": "for"},
    )
    assert response.status_code == 422
    assert "clos" in response.get_data(as_text=True)
    assert db.session.scalars(select(Ballot)).all() == []


def test_officer_forms_refuse_bad_input(client, login, officer, make_assembly):
    assembly = make_assembly()
    login(client, officer)
    assert client.post("/assemblies/", data={"title": "", "held_on": "x"}).status_code == 422
    before = [d.identifier for d in assembly.delegates]
    bad_roll = b"identifier;name;email;section\nA;B;pas-un-mail;S\n"
    response = client.post(
        f"/assemblies/{assembly.id}/roll",
        data={"file": (io.BytesIO(bad_roll), "roll.csv")},
        content_type="multipart/form-data",
    )
    # Read, then refused at the preview: the whole roll or nothing, so no confirmation.
    columns = response.headers["Location"]
    mapping = ["identifier", "name", "email", "section"]
    batch = client.post(columns, data={f"column-{i}": k for i, k in enumerate(mapping)}).headers[
        "Location"
    ]
    page = html.unescape(client.get(batch).get_data(as_text=True))
    assert "«\u00a0pas-un-mail\u00a0» n’est pas une adresse" in page and "Confirmer" not in page
    client.post(batch + "/confirm")
    assert [d.identifier for d in assembly.delegates] == before
    response = client.post(
        f"/assemblies/{assembly.id}/roll", data={"file": (io.BytesIO(b""), "roll.csv")}
    )
    assert response.status_code == 422
    response = client.post(
        f"/assemblies/{assembly.id}/resolutions",
        data={"title": "T", "body": "B", "category": "statutory", "kind": "wordings"},
    )
    assert response.status_code == 422
    response = client.post(
        f"/assemblies/{assembly.id}/proxies", data={"giver": "D001", "holder": "NOBODY"}
    )
    assert response.status_code == 422
    response = client.post(
        f"/assemblies/{assembly.id}/proxies", data={"giver": "D001", "holder": "D001"}
    )
    assert response.status_code == 422
    assert (
        client.post(
            f"/assemblies/{assembly.id}/proxies", data={"giver": "D001", "holder": "D002"}
        ).status_code
        == 303
    )
    d = assembly.delegates[2].id
    response = client.post(
        f"/assemblies/{assembly.id}/delegates/{d}/presence", data={"presence": "?"}
    )
    assert response.status_code == 303  # refused with a message, nothing changed
    assert db.session.get(services.Delegate, d).presence == "absent"


def test_verify_command(runner, make_assembly, officer, voter, now, app):
    assembly = make_assembly()
    with app.test_request_context():
        services.open_all(officer, assembly, now=now)
        services.cast(
            voter(1), assembly.resolutions[0], assembly.delegates[0], choice="for", now=now
        )
        services.close_all(officer, assembly, now=now)
    db.session.commit()
    result = runner.invoke(args=["assembly", "verify", str(assembly.id)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and assembly.freeze_hash in result.output
    db.session.execute(update(Ballot).values(choice="against"))
    db.session.commit()
    result = runner.invoke(args=["assembly", "verify", str(assembly.id)])
    assert result.exit_code == 1
    assert "PROBLEM" in result.output
    assert runner.invoke(args=["assembly", "verify", "999"]).exit_code == 2


def test_published_ballots_api_lets_anyone_recount(app, make_assembly, officer, voter, now):
    assembly = make_assembly()
    with app.test_request_context():
        services.open_all(officer, assembly, now=now)
        services.cast(
            voter(2), assembly.resolutions[0], assembly.delegates[1], choice="blank", now=now
        )
        services.close_all(officer, assembly, now=now)
    db.session.commit()
    data = app.test_client().get(f"/api/v1/assemblies/{assembly.id}/ballots").json
    ballots = data["resolutions"][0]["ballots"]
    assert [b["choice"] for b in ballots] == ["blank"]
    from consult.assembly import rules

    entries = [(e["payload"], e["previous_hash"], e["hash"]) for e in data["log"]]
    assert rules.first_broken_link(entries) is None
    naming = [e["payload"]["action"] for e in data["log"] if "D002" in json.dumps(e)]
    assert naming == ["cast"]  # only the cast entry names who voted, never what


def test_roll_is_paginated(client, login, officer, make_assembly):
    assembly = make_assembly(delegates=105)
    login(client, officer)
    first = client.get(f"/assemblies/{assembly.id}/roll").get_data(as_text=True)
    second = client.get(f"/assemblies/{assembly.id}/roll?page=2").get_data(as_text=True)
    assert "D001" in first and "D101" not in first
    assert "D101" in second and "D001" not in second
    assert client.get(f"/assemblies/{assembly.id}/roll?page=x").status_code == 200


def test_the_demonstration_holds_a_closed_and_an_open_assembly(app, runner):
    result = runner.invoke(args=["demo", "--contributions", "10", "--delegates", "12"])
    assert result.exit_code == 0, result.output
    assert "Closed assembly" in result.output
    closed, current = db.session.scalars(select(services.Assembly).order_by("id")).all()
    assert closed.closed_at is not None and services.verify(closed) == []
    assert current.closed_at is None and all(r.status == "open" for r in current.resolutions)
    assert runner.invoke(args=["assembly", "verify", str(closed.id)]).exit_code == 0
    again = runner.invoke(args=["demo", "--contributions", "10", "--delegates", "12"])
    assert again.exit_code == 0 and "Closed assembly" not in again.output
    assert db.session.scalar(select(func.count()).select_from(services.Assembly)) == 2


def test_roll_shows_who_voted_without_being_marked(
    client, login, officer, make_assembly, voter, now, app
):
    assembly = make_assembly(delegates=3)
    with app.test_request_context():
        services.open_all(officer, assembly, now=now)
        services.cast(
            voter(2), assembly.resolutions[0], assembly.delegates[1], choice="for", now=now
        )
    db.session.commit()
    login(client, officer)
    page = client.get(f"/assemblies/{assembly.id}/roll").get_data(as_text=True)
    assert page.count("A voté\u00a0: compté comme votant à distance") == 1


def test_the_officer_follows_turnout_and_the_voter_is_told_to_keep_the_code(
    client, voting, officer, voter, login, now, app
):
    """After one of five delegates voted: « 1 délégués sur 5 » live for the officer; the voter's
    page advises keeping the tracking code."""
    assembly = voting
    resolution = assembly.resolutions[0]
    url = f"/assemblies/{assembly.id}/resolutions/{resolution.id}/vote"
    client.post(url, data={"mandate": assembly.delegates[0].id, "choice": "for"})
    page = client.get(f"/assemblies/{assembly.id}/vote").get_data(as_text=True)
    assert "Conservez ce code de suivi" in page
    client.post("/logout")
    login(client, officer)
    page = client.get(f"/assemblies/{assembly.id}").get_data(as_text=True)
    assert "Délégués ayant voté\u00a0: 1 sur 5 (20" in page
    assert 'value="1"' in page and 'max="5"' in page
