"""Default hardship tiers read in the page's language (issue 17: English said 特别困难)."""

from django.utils import translation

from mentoring.services.identification import tier_name
from workers.factories import DistrictFactory


def test_a_default_tier_is_named_in_english_on_an_english_page(db):
    district = DistrictFactory()

    with translation.override("en"):
        assert tier_name(district, "special_hardship") == "Special hardship"
        assert [t["name"] for t in district.tier_labels] == [
            "Special hardship",
            "Hardship",
            "General hardship",
        ]
    with translation.override("zh-hans"):
        assert tier_name(district, "special_hardship") == "特别困难"


def test_a_tier_the_district_renamed_keeps_its_own_name_in_every_language(db):
    district = DistrictFactory(
        tiers=[{"code": "special_hardship", "name": "一档"}, {"code": "hardship", "name": "二档"}]
    )

    with translation.override("en"):
        assert tier_name(district, "special_hardship") == "一档"
        assert tier_name(district, "hardship") == "二档"
