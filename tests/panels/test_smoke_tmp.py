def test_smoke(client, login, organiser, make_project, add_volunteers):
    project = make_project(quotas={"woman": (2, 2), "old": (1, 3)})
    add_volunteers(
        project, [("woman", "young"), ("man", "old"), ("woman", "old"), ("man", "young")] * 5
    )
    login(client, organiser)
    r = client.get(f"/panels/organise/{project.id}")
    assert r.status_code == 200, r.get_data(as_text=True)
    print(r.get_data(as_text=True)[-3000:])
    r = client.post(f"/panels/organise/{project.id}/commit")
    assert r.status_code == 302
    r = client.post(f"/panels/organise/{project.id}/draw", data={"seed": "1 2 3"})
    assert r.status_code == 302, r.get_data(as_text=True)
    r = client.get(f"/panels/{project.id}/draw")
    assert r.status_code == 200
    for url in [
        "/panels/organise",
        f"/panels/organise/{project.id}/volunteers",
        f"/panels/organise/panel/{project.panels[0].id}",
        f"/panels/organise/panel/{project.panels[0].id}/quotas",
        f"/panels/organise/{project.id}/questionnaire",
        f"/panels/{project.id}/volunteer",
        f"/panels/organise/{project.id}/settings",
        "/panels/organise/new",
    ]:
        r = client.get(url)
        assert r.status_code in (200, 410), (url, r.get_data(as_text=True)[:3000])
