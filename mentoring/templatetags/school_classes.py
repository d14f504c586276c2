"""`{% grade_and_class level grade class_name %}`: a student's grade and class, as
`mentoring.models.students.grade_and_class` writes them for every page."""

from django import template

from mentoring.models.students import grade_and_class as label

register = template.Library()


@register.simple_tag
def grade_and_class(level, grade, class_name) -> str:
    return label(level=level or "", grade=grade, class_name=class_name or "")
