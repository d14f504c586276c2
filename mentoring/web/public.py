"""`/public/notices/`: the public notice (公示) of identification as a page, no login needed.

The API's `public/notices/` answers JSON for programs; people following the
console's link read this page. Both list `public_notices` (the selector that
decides who is under notice today) and show the same five things of each
entry, the name masked by `mask_name` and the tier by the district's name for
it (`tier_name`), as the API's serializer does; nothing else of the student is
read. Like the API it is open to anyone, signed in or not, and an entry
disappears the day after its notice period ends. The way to object is each
district's complaint line (`District.complaint_phone`, set by the platform
administrator in the admin or the API's `districts/`), or the school where a
district has none: the page promises no line it cannot show.
"""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from mentoring.names import mask_name
from mentoring.selectors.identification import public_notices as notices_today
from mentoring.services.identification import tier_name

PAGE_SIZE = 200


@require_GET
def public_notices(request):
    notices = notices_today(today=timezone.localdate())
    school = request.GET.get("school", "").strip()
    if school:  # As the API's `?school=`: a school's code.
        notices = notices.filter(student__school__code=school)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    rows, lines = [], {}
    for assessment in page:
        school_row = assessment.student.school
        rows.append(
            {
                "masked_name": mask_name(assessment.student.name),
                "school_name": school_row.name,
                "grade": assessment.grade,
                "class_name": assessment.class_name,
                "tier_name": tier_name(school_row.district, assessment.tier),
                "notice_ends_on": assessment.notice_ends_on,
            }
        )
        # Each district's complaint line, "" where it has none (said so, never promised).
        lines[school_row.district.name] = school_row.district.complaint_phone
    return render(
        request,
        "mentoring/public/notices.html",
        {
            "rows": rows,
            "page": page,
            "school": school,
            "complaint_lines": sorted((name, line) for name, line in lines.items() if line),
            "without_lines": sorted(name for name, line in lines.items() if not line),
        },
    )
