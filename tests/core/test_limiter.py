"""Every limit of a request counted at once (consult/core/limiter.py), as Flask-Limiter counts
them one at a time: in order, the shortest window first, and a request refused by one limit
counted by no limit after it. With TEST_RATELIMIT_STORAGE_URI=redis://... the counters are in
Redis and each request's limits cost one round trip."""

import time

import pytest
from limits.storage import RedisStorage

from consult.extensions import limiter


@pytest.fixture
def strict(app):
    """Answering limited to 2 per second and 3 per day, signing in to 2 per second and 3 per day
    per person and 5 per hour per address, for one test."""
    saved = {key: app.config[key] for key in ("RATE_LIMITS", "RATE_LIMITS_PER_ADDRESS")}
    app.config["RATE_LIMITS"] = {
        **saved["RATE_LIMITS"],
        "consultations.answer": "2 per second; 3 per day",
        "accounts.login": "2 per second; 3 per day",
    }
    app.config["RATE_LIMITS_PER_ADDRESS"] = {
        **saved["RATE_LIMITS_PER_ADDRESS"],
        "accounts.login": "5 per hour",
    }
    yield
    app.config.update(saved)


def _answer(client, question, text):
    return client.post(f"/questions/{question.id}/answer", data={"answer": text}).status_code


def test_a_request_refused_by_its_shortest_window_is_not_counted_by_the_longer_one(
    client, login, make_user, make_consultation, strict
):
    question = make_consultation().questions[0]
    login(client, make_user())
    assert [_answer(client, question, f"Avis {i}") for i in range(3)] == [302, 302, 429]
    time.sleep(1.1)  # the second's window is over; the day has counted two answers, not three
    assert [_answer(client, question, f"Avis {i}") for i in range(3, 5)] == [302, 429]


def test_the_limits_per_person_and_per_address_are_counted_together(client, make_user, strict):
    """Two limits of one person and one of the address, in the order of their windows: the
    per-second limit refuses the third attempt before the address's hour counts it."""
    people = [make_user(), make_user()]
    tries = [
        client.post("/login", data={"email": people[0].email, "password": "faux"}).status_code
        for _ in range(3)
    ]
    assert tries == [422, 422, 429]
    tries = [
        client.post("/login", data={"email": people[1].email, "password": "faux"}).status_code
        for _ in range(3)
    ]
    # the address counted 2 + 2: its fifth attempt is the last it may make this hour
    assert tries == [422, 422, 429]
    time.sleep(1.1)
    assert client.post("/login", data={"email": people[1].email}).status_code == 422
    assert client.post("/login", data={"email": people[0].email}).status_code == 429


def test_every_limit_of_a_request_is_counted_in_one_redis_round_trip(
    app, client, login, make_user, make_consultation, strict, monkeypatch
):
    """The counters and the window the rate-limit headers show, in one script call."""
    if not isinstance(limiter.storage, RedisStorage):
        pytest.skip("the counters are in memory: TEST_RATELIMIT_STORAGE_URI=redis://... runs it")
    question = make_consultation().questions[0]
    login(client, make_user())
    assert _answer(client, question, "Avis 0") == 302  # the script is loaded into Redis once
    redis = limiter.storage.get_connection()
    sent = []
    real = redis.execute_command
    monkeypatch.setattr(redis, "execute_command", lambda *a, **k: sent.append(a) or real(*a, **k))
    response = client.post(f"/questions/{question.id}/answer", data={"answer": "Avis 1"})
    assert response.status_code == 302 and [command[0] for command in sent] == ["EVALSHA"]
    assert response.headers["X-RateLimit-Limit"] == "2"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    second, day = (
        next(k for k in redis.keys("LIMITS:*consultations.answer*") if k.endswith(window))
        for window in (b"/second", b"/day")
    )
    assert int(redis.get(second)) == int(redis.get(day)) == 2
    refused = client.post(f"/questions/{question.id}/answer", data={"answer": "Avis 2"})
    assert refused.status_code == 429 and refused.headers["X-RateLimit-Remaining"] == "0"
    assert int(redis.get(second)) == 3 and int(redis.get(day)) == 2  # the day did not count it
    client.post("/logout")
    sent.clear()
    assert client.post("/login", data={"email": "nobody@example.org"}).status_code == 422
    # the three limits of signing in (per person and per address) in one call, its headers too
    checked = [command for command in sent if any("/accounts.login/" in str(a) for a in command)]
    assert len(checked) == 1 and checked[0][0] == "EVALSHA" and checked[0][2] == 3


def test_a_request_within_its_limits_is_checked_by_one_pass_of_flask_limiter(
    client, login, make_user, make_consultation, strict, monkeypatch
):
    """The dry pass stands as the check when every counter is within its amount: no real pass
    runs. A breach takes the real pass, which refuses the request as Flask-Limiter does."""
    from flask_limiter import Limiter as FlaskLimiter

    from consult.core.limiter import _batch

    question = make_consultation().questions[0]
    login(client, make_user())
    passes = []
    theirs = FlaskLimiter._check_request_limit

    def noted(*args, **kwargs):
        batch = _batch.get()
        passes.append("dry" if batch is None or batch.recording else "real")
        return theirs(*args, **kwargs)

    monkeypatch.setattr(FlaskLimiter, "_check_request_limit", noted)
    assert [_answer(client, question, f"Avis {i}") for i in range(2)] == [302, 302]
    assert "dry" in passes and "real" not in passes
    passes.clear()
    assert _answer(client, question, "Avis 2") == 429
    assert passes.count("real") == 1  # the check that met the breach
