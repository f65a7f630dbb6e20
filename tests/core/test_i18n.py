"""Every string of the interface has a French translation, compiled and up to date."""

from consult.core.catalogues import problems


def test_every_catalogue_is_complete_and_compiled():
    assert problems() == []
