"""The aid project fields of donations' requests: by id or by code (core.codes)."""

from core.codes import CodeOrIdField, CodeOrIdFilter
from donations.selectors.scoping import projects_visible_to


def project_field(**kwargs) -> CodeOrIdField:
    return CodeOrIdField(scope=projects_visible_to, **kwargs)


def project_filter(field_name="project", **kwargs) -> CodeOrIdFilter:
    return CodeOrIdFilter(field_name=field_name, scope=projects_visible_to, **kwargs)
