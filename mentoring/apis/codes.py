"""The district, school and term fields of mentoring's requests: by id or by code (core.codes)."""

from core.codes import CodeOrIdField, CodeOrIdFilter
from mentoring.selectors.scoping import districts_visible_to, schools_visible_to, terms_visible_to


def term_field(**kwargs) -> CodeOrIdField:
    return CodeOrIdField(scope=terms_visible_to, **kwargs)


def school_field(**kwargs) -> CodeOrIdField:
    return CodeOrIdField(scope=schools_visible_to, **kwargs)


def district_field(**kwargs) -> CodeOrIdField:
    return CodeOrIdField(scope=districts_visible_to, **kwargs)


def term_filter(field_name="term", **kwargs) -> CodeOrIdFilter:
    return CodeOrIdFilter(field_name=field_name, scope=terms_visible_to, **kwargs)


def school_filter(field_name="school", **kwargs) -> CodeOrIdFilter:
    return CodeOrIdFilter(field_name=field_name, scope=schools_visible_to, **kwargs)


def district_filter(field_name="district", **kwargs) -> CodeOrIdFilter:
    return CodeOrIdFilter(field_name=field_name, scope=districts_visible_to, **kwargs)
