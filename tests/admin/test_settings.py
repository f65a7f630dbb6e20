"""Settings on a real database: environment defaults, audit, snapshots of what already ran."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from consult.admin import settings
from consult.admin.models import SettingValue
from consult.analysis import services as analysis
from consult.assembly import services as assembly_services
from consult.core.errors import RuleError
from consult.core.models import AuditEvent
from consult.extensions import db
from consult.moderation import services as moderation

HOUR = timedelta(hours=1)


@pytest.fixture
def admin(make_user):
    """An administrator."""
    return make_user(email="admin@example.org", roles=("administrator",))


@pytest.fixture
def environment(app):
    """Set configuration values for one test, restored afterwards."""
    saved = {}

    def set_(**values):
        for name, value in values.items():
            saved.setdefault(name, app.config.get(name))
            app.config[name] = value

    yield set_
    app.config.update(saved)


def events() -> list[AuditEvent]:
    """The settings changes in the audit log, oldest first."""
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "admin.setting").order_by(AuditEvent.id)
    ).all()


def test_the_environment_gives_the_first_value_and_every_change_is_audited(admin, environment, now):
    environment(MODERATION_FLAG_THRESHOLD=4)
    assert settings.current("moderation.flag_threshold") == 4
    assert not settings.changed("moderation.flag_threshold")
    row = settings.save(admin, "moderation.flag_threshold", 6, now=now)
    db.session.commit()
    assert settings.current("moderation.flag_threshold") == 6 == moderation.flag_threshold()
    [event] = events()
    assert (event.actor_id, event.subject_type) == (admin.id, "setting_value")
    assert event.subject_id == row.id
    assert event.before == {"key": "moderation.flag_threshold", "value": 4}
    assert event.after == {"key": "moderation.flag_threshold", "value": 6}
    # the same value again changes nothing and logs nothing
    assert settings.save(admin, "moderation.flag_threshold", 6, now=now + HOUR) is None
    db.session.commit()
    assert len(events()) == 1
    # once changed in the interface, the environment no longer decides
    environment(MODERATION_FLAG_THRESHOLD=9)
    assert settings.current("moderation.flag_threshold") == 6


def test_a_closed_consultation_keeps_the_settings_it_ran_with(
    admin, environment, make_consultation, now
):
    environment(MODERATION_FLAG_THRESHOLD=3, ANALYSIS_MIN_GROUP_SIZE=30, MODERATION_REASONS=None)
    closed = make_consultation(
        title="Baromètre", opens_at=now - 20 * HOUR, closes_at=now - 2 * HOUR
    )
    running = make_consultation(title="Raison d’être")
    settings.save(admin, "moderation.flag_threshold", 1, now=now)
    settings.save(admin, "analysis.min_group_size", 10, now=now)
    settings.save(admin, "moderation.reasons", {"spam": "Publicité"}, now=now)
    db.session.commit()
    assert moderation.flag_threshold(running) == 1 and moderation.flag_threshold(closed) == 3
    assert analysis.minimum_group(running) == 10 and analysis.minimum_group(closed) == 30
    assert list(moderation.reason_labels(running)) == ["spam", "other"]
    assert "off_topic" in moderation.reason_labels(closed)
    # the environment changing afterwards does not rewrite what the closed one used
    environment(MODERATION_FLAG_THRESHOLD=8, ANALYSIS_MIN_GROUP_SIZE=50)
    assert moderation.flag_threshold(closed) == 3 and analysis.minimum_group(closed) == 30
    # a reason removed since keeps its label in past decisions
    settings.save(admin, "moderation.reasons", {"hors_sujet": "Hors sujet"}, now=now + HOUR)
    db.session.commit()
    assert moderation.reason_label("spam") == "Publicité"


def test_closing_early_snapshots_at_the_close(admin, make_consultation, now):
    consultation = make_consultation()
    consultation.status, consultation.closed_at = "closed", now - HOUR
    db.session.commit()
    settings.save(admin, "analysis.min_group_size", 12, now=now)
    db.session.commit()
    assert analysis.minimum_group(consultation) != 12
    assert analysis.minimum_group() == 12


def _assembly(officer, now, title):
    return assembly_services.create_assembly(
        officer,
        title=title,
        held_on=date(2027, 6, 1),
        convocation=1,
        proxy_cap=1,
        allow_vote_change=True,
        now=now,
    )


def test_assembly_rules_reach_unfrozen_assemblies_only(admin, environment, now):
    environment(ASSEMBLY_RULES=None, ASSEMBLY_MAJORITY_BASE=None)
    frozen = _assembly(admin, now - 4 * HOUR, "AG 2026")
    frozen.frozen_at = now - 4 * HOUR  # its vote has opened: roll, texts and rules are fixed
    draft = _assembly(admin, now - 4 * HOUR, "AG 2027")
    kept = frozen.rules_json
    db.session.commit()

    settings.save(admin, "assembly.majority_base", "present_represented", now=now - 3 * HOUR)
    db.session.commit()
    assert assembly_services.rule_set(draft).majority_base == "present_represented"
    assert assembly_services.organisation_rules().majority_base == "present_represented"
    assert frozen.rules_json == kept
    actions = [e.payload for e in assembly_services.log_entries(draft)]
    assert '"action":"rules"' in actions[-1]
    assert assembly_services.verify(draft) == []

    typed = settings.form_data("assembly.rules")
    typed["statutory_1_majority"] = "3/4"
    typed["ordinary_2_quorum"] = "1/10"
    value = settings.parse("assembly.rules", typed)
    settings.save(admin, "assembly.rules", value, now=now - 2 * HOUR)
    db.session.commit()
    rules = assembly_services.rule_set(draft)
    assert str(rules.rule_for("statutory", 1).majority) == "3/4"
    assert str(rules.rule_for("ordinary", 2).quorum) == "1/10"
    assert rules.majority_base == "present_represented"  # the other setting stays
    assert frozen.rules_json == kept
    later = _assembly(admin, now, "AG 2028")
    assert later.rules_json == draft.rules_json


def test_typed_values_are_validated_with_the_field_named(admin, now):
    typed = settings.form_data("assembly.rules")
    typed["ordinary_1_majority"] = "3/2"
    with pytest.raises(RuleError) as caught:
        settings.parse("assembly.rules", typed)
    assert caught.value.field == "ordinary_1_majority"
    with pytest.raises(RuleError) as caught:
        settings.parse("moderation.flag_threshold", {"value": "0"})
    assert caught.value.field == "value" and "1" in str(caught.value.message)
    with pytest.raises(RuleError):
        settings.parse("moderation.reasons", {"value": "Sans code"})
    with pytest.raises(RuleError):
        settings.parse("assembly.majority_base", {"value": "everyone"})
    assert db.session.scalar(select(func.count()).select_from(SettingValue)) == 0


def test_the_built_in_reasons_are_shown_translated_and_read_back(admin, now):
    typed = settings.form_data("moderation.reasons")["value"]
    assert typed.splitlines()[0] == "off_topic: Hors sujet"
    assert "other" not in typed
    value = settings.parse("moderation.reasons", {"value": typed})
    assert list(value) == ["off_topic", "insulting", "personal_data", "advertising", "duplicate"]
