"""Every write operation of the API, each with a request it accepts, on a small world.

`OPERATIONS` maps "METHOD /path/{id}/" (as the OpenAPI schema spells it) to a
function that builds, on a `World` (tests/write_world.py), the user who may do it
and a body it answers 2xx to. tests/project/test_api_write_contract.py walks the
schema and checks that every write operation is here, then bends these bodies: an
extra field, an id too large for any column, and so on.
"""

import datetime

from mentoring.models import AssessmentRoute, AssessmentStatus, Role
from tests.write_world import (
    COMMITTEE_MEMBERS,
    Call,
    _award_request,
    _government_list,
    _new_student,
    _pair_add,
    _pair_change,
    _project,
    _score,
    bank_result_upload,
    committee_award,
    roster_upload,
)
from workers.factories import TermFactory, member


def _recheck(w) -> Call:
    """An approved identification re-checked in the next term of its school year: the child left."""
    carried = w.assessment(AssessmentStatus.APPROVED, tier="hardship")
    spring = TermFactory(
        district=w.district,
        code="next-spring",
        school_year=w.term.school_year,
        start_date=w.term.end_date + datetime.timedelta(days=30),
        end_date=w.term.end_date + datetime.timedelta(days=150),
    )
    return Call(
        w.root,
        f"/api/v1/assessments/{carried.pk}/recheck/",
        {"term": spring.pk, "change": "left", "reason": "转学"},
    )


OPERATIONS = {
    # Accounts, schools, terms
    "POST /api/v1/users/": lambda w: Call(
        w.root,
        "/api/v1/users/",
        {
            "username": "new.teacher",
            "password": "a-long-pass-for-tests-2026",
            "role": "teacher",
            "schools": [w.school.pk],
        },
    ),
    "PATCH /api/v1/users/{id}/": lambda w: Call(
        w.root, f"/api/v1/users/{member(Role.TEACHER, w.school).pk}/", {"first_name": "新"}
    ),
    "POST /api/v1/districts/": lambda w: Call(
        w.root,
        "/api/v1/districts/",
        {
            "code": "NEW-D",
            "name": "新区",
            "tiers": [{"code": "special", "name": "特困"}, {"code": "hardship", "name": "困难"}],
            "notice_working_days": 5,
            "same_gender_from_age": 12,
        },
    ),
    "PATCH /api/v1/districts/{id}/": lambda w: Call(
        w.root, f"/api/v1/districts/{w.district.pk}/", {"name": "新名", "notice_working_days": 6}
    ),
    "POST /api/v1/schools/": lambda w: Call(
        w.root,
        "/api/v1/schools/",
        {"code": "NEW-PS", "name": "新小学", "level": "primary", "district": w.district.code},
    ),
    "POST /api/v1/terms/": lambda w: Call(
        w.root,
        "/api/v1/terms/",
        {
            "district": w.district.code,
            "code": "2031-spring",
            "school_year": "2030-2031",
            "start_date": "2031-02-24",
            "end_date": "2031-07-04",
        },
    ),
    "PATCH /api/v1/terms/{id}/": lambda w: Call(
        w.root, f"/api/v1/terms/{w.term.pk}/", {"holiday_weeks": []}
    ),
    # Students and identification
    "POST /api/v1/students/": lambda w: Call(w.root, "/api/v1/students/", _new_student(w)),
    "PATCH /api/v1/students/{id}/": lambda w: Call(
        w.root, f"/api/v1/students/{w.student().pk}/", {"village": "新村"}
    ),
    "PUT /api/v1/students/{id}/guardian-account/": lambda w: Call(
        w.root,
        f"/api/v1/students/{w.student().pk}/guardian-account/",
        {
            "holder_name": "王大山",
            "bank_name": "中国农业银行",
            "account_number": "6228480012345678912",
        },
    ),
    "POST /api/v1/students/import/": lambda w: Call(
        w.root,
        "/api/v1/students/import/",
        {"file": roster_upload(w), "term": w.term.pk, "school": w.school.pk, "dry_run": "false"},
        format="multipart",
    ),
    "POST /api/v1/assessments/": lambda w: Call(
        w.root,
        "/api/v1/assessments/",
        {"student": w.student().pk, "term": w.term.pk, "reason": "家庭困难", "commitment": "属实"},
    ),
    "POST /api/v1/assessments/{id}/review/": lambda w: Call(
        w.root,
        f"/api/v1/assessments/{w.investigated_submission().pk}/review/",
        {"note": "家访"},
    ),
    "POST /api/v1/assessments/{id}/investigate/": lambda w: Call(
        w.root,
        f"/api/v1/assessments/{w.assessment(AssessmentStatus.SUBMITTED).pk}/investigate/",
        {
            "investigated_on": w.day(0),
            "investigators": "班主任",
            "findings": "家访核实",
            "visited_on": w.day(0),
        },
    ),
    "POST /api/v1/assessments/{id}/committee-decision/": lambda w: Call(
        w.root,
        f"/api/v1/assessments/{w.assessment(AssessmentStatus.INVESTIGATED).pk}/committee-decision/",
        {
            "committee": w.class_committee.pk,
            "decided_on": w.day(0),
            "members_present": list(w.class_committee.members.values_list("pk", flat=True)),
            "outcome": "agreed",
            "note": "评议通过",
        },
    ),
    "POST /api/v1/applications/": lambda w: Call(
        w.root,
        "/api/v1/applications/",
        {
            "student": w.student().pk,
            "term": w.term.pk,
            "guardian_name": "王大山",
            "guardian_relation": "father",
            "guardian_phone": "13812345678",
            "hardship_kinds": ["disabled_parent"],
            "circumstances": "父亲残疾",
            "commitment": "本人承诺所填信息真实",
        },
    ),
    "POST /api/v1/applications/{id}/confirm/": lambda w: Call(
        w.root,
        f"/api/v1/applications/{w.family_application().pk}/confirm/",
        {"student": w.student().pk},
    ),
    "POST /api/v1/applications/{id}/decline/": lambda w: Call(
        w.root, f"/api/v1/applications/{w.family_application().pk}/decline/", {"reason": "重复"}
    ),
    "POST /api/v1/application-codes/": lambda w: Call(
        w.root, "/api/v1/application-codes/", {"school": w.school.pk, "term": w.term.pk}
    ),
    "POST /api/v1/application-codes/{id}/close/": lambda w: Call(
        w.root, f"/api/v1/application-codes/{w.application_code.pk}/close/", {}
    ),
    "POST /api/v1/review-committees/": lambda w: Call(
        w.root,
        "/api/v1/review-committees/",
        {
            "school": w.school.pk,
            "term": w.term.pk,
            "stage": "school",
            "name": "学校资助工作领导小组",
            "members": COMMITTEE_MEMBERS,
        },
    ),
    "POST /api/v1/review-committees/{id}/members/": lambda w: Call(
        w.root,
        f"/api/v1/review-committees/{w.class_committee.pk}/members/",
        {"name": "赵老师", "role": "teacher_rep"},
    ),
    "POST /api/v1/assessments/{id}/publicize/": lambda w: Call(
        w.root,
        "/api/v1/assessments/"
        f"{w.assessment(AssessmentStatus.SCHOOL_REVIEWED, tier='hardship').pk}/publicize/",
        {},
    ),
    "POST /api/v1/assessments/{id}/object/": lambda w: Call(
        w.root, f"/api/v1/assessments/{w.objection.assessment_id}/object/", {"text": "异议"}
    ),
    "POST /api/v1/assessments/{id}/objections/{objection_id}/answer/": lambda w: Call(
        w.root,
        f"/api/v1/assessments/{w.objection.assessment_id}/objections/{w.objection.pk}/answer/",
        {"answer": "已核实"},
    ),
    "POST /api/v1/assessments/{id}/approve/": lambda w: Call(
        w.root,
        "/api/v1/assessments/"
        f"{w.assessment(AssessmentStatus.PROPOSED, route=AssessmentRoute.GOVERNMENT_LIST).pk}"
        "/approve/",
        {},
    ),
    "POST /api/v1/assessments/{id}/reject/": lambda w: Call(
        w.root,
        f"/api/v1/assessments/{w.assessment(AssessmentStatus.SUBMITTED).pk}/reject/",
        {"reason": "不符合条件"},
    ),
    "POST /api/v1/assessments/government-list/": _government_list,
    "POST /api/v1/assessments/{id}/recheck/": _recheck,
    # Mentoring
    "POST /api/v1/mentors/": lambda w: Call(
        w.root,
        "/api/v1/mentors/",
        {
            "user": member(Role.TEACHER, w.school).pk,
            "kind": "teacher",
            "gender": "female",
            "schools": [w.school.pk],
            "conflicts": [w.student().pk],
        },
    ),
    "PATCH /api/v1/mentors/{id}/": lambda w: Call(
        w.root,
        f"/api/v1/mentors/{w.mentor.pk}/",
        {"capacity": 4, "schools": [w.school.pk], "conflicts": [w.student().pk]},
    ),
    "POST /api/v1/pairings/": lambda w: Call(
        w.root,
        "/api/v1/pairings/",
        {
            "student": w.student().pk,
            "mentor": w.mentor.pk,
            "term": w.term.pk,
            "kind": "care",
            "reason": "结对关爱",
        },
    ),
    "POST /api/v1/pairings/{id}/end/": lambda w: Call(
        w.root, f"/api/v1/pairings/{w.pairing.pk}/end/", {"reason": "学生转学"}
    ),
    "POST /api/v1/pairings/{id}/holiday/": lambda w: Call(
        w.root,
        f"/api/v1/pairings/{w.pairing.pk}/holiday/",
        {"holiday_until": (w.term.end_date + datetime.timedelta(days=10)).isoformat()},
    ),
    "POST /api/v1/visit-plans/": lambda w: Call(
        w.root,
        "/api/v1/visit-plans/",
        {
            "school": w.school.pk,
            # A term of its own: the world's term may have its plan already.
            "term": TermFactory(
                district=w.district,
                code="2031-autumn",
                school_year="2031-2032",
                start_date=datetime.date(2031, 9, 1),
                end_date=datetime.date(2032, 1, 16),
            ).pk,
            "note": "每学期家访全覆盖",
        },
    ),
    "PATCH /api/v1/visit-plans/{id}/": lambda w: Call(
        w.root, f"/api/v1/visit-plans/{w.visit_plan.pk}/", {"note": "重点走访留守儿童"}
    ),
    "POST /api/v1/visit-plan-entries/": lambda w: Call(
        w.root,
        "/api/v1/visit-plan-entries/",
        {
            "plan": w.visit_plan.pk,
            "student": w.student().pk,
            "visitor": w.mentor.pk,
            "planned_on": w.day(1),
            "purpose": "了解家庭情况",
        },
    ),
    "PATCH /api/v1/visit-plan-entries/{id}/": lambda w: Call(
        w.root, f"/api/v1/visit-plan-entries/{w.visit_plan_entry.pk}/", {"purpose": "改期家访"}
    ),
    "POST /api/v1/sessions/": lambda w: Call(
        w.pairing.mentor.user,
        "/api/v1/sessions/",
        {
            "pairing": w.pairing.pk,
            "date": w.day(-1),
            "minutes": 45,
            "subject": "math",
            "kind": "tutoring",
            "content": "分数练习",
        },
    ),
    "PATCH /api/v1/sessions/{id}/": lambda w: Call(
        w.session.pairing.mentor.user, f"/api/v1/sessions/{w.session.pk}/", {"minutes": 50}
    ),
    "POST /api/v1/scores/": lambda w: Call(
        w.pairing.mentor.user,
        "/api/v1/scores/",
        {
            "student": w.pairing.student_id,
            "term": w.term.pk,
            "subject": "math",
            "start_score": "55.5",
            "end_score": "68",
        },
    ),
    "PATCH /api/v1/scores/{id}/": lambda w: Call(
        w.root, f"/api/v1/scores/{_score(w).pk}/", {"end_score": "72"}
    ),
    "POST /api/v1/match-runs/": lambda w: Call(
        w.root,
        "/api/v1/match-runs/",
        {"term": w.term.pk, "kinds": ["academic"], "schools": [w.school.pk]},
    ),
    "POST /api/v1/match-runs/{id}/pairs/": _pair_add,
    "PATCH /api/v1/match-runs/{id}/pairs/{proposal_id}/": _pair_change,
    "POST /api/v1/match-runs/{id}/approve/": lambda w: Call(
        w.root, f"/api/v1/match-runs/{w.run.pk}/approve/", {}
    ),
    "POST /api/v1/compliance/check/": lambda w: Call(
        w.root, "/api/v1/compliance/check/", {"term": w.term.pk}
    ),
    "POST /api/v1/users/{id}/unlock/": lambda w: Call(
        w.root, f"/api/v1/users/{w.pairing.mentor.user.pk}/unlock/", {}
    ),
    "POST /api/v1/notifications/{id}/read/": lambda w: Call(
        w.root, f"/api/v1/notifications/{w.notification.pk}/read/", {}
    ),
    "POST /api/v1/reports/": lambda w: Call(
        w.root, "/api/v1/reports/", {"term": w.term.pk, "school": w.school.pk}
    ),
    # Donors, pledges, money and items
    "POST /api/v1/donors/": lambda w: Call(
        w.root,
        "/api/v1/donors/",
        {"district": w.district.code, "kind": "organisation", "name": "县消防大队"},
    ),
    "PUT /api/v1/donors/{id}/": lambda w: Call(
        w.root,
        f"/api/v1/donors/{w.donor.pk}/",
        {"kind": "organisation", "name": "县日报社", "anonymous": False},
    ),
    "PATCH /api/v1/donors/{id}/": lambda w: Call(
        w.root, f"/api/v1/donors/{w.donor.pk}/", {"anonymous": True}
    ),
    "POST /api/v1/pledges/": lambda w: Call(
        w.root,
        "/api/v1/pledges/",
        {
            "donor": w.donor.pk,
            "kind": "money",
            "schedule": "once",
            "project": w.project.pk,
            "instalments": [{"due_on": w.day(30), "amount": "100.00"}],
        },
    ),
    "POST /api/v1/pledges/{id}/cancel/": lambda w: Call(
        w.root, f"/api/v1/pledges/{w.pledge.pk}/cancel/", {"reason": "捐赠方撤回"}
    ),
    "POST /api/v1/contributions/": lambda w: Call(
        w.root,
        "/api/v1/contributions/",
        {
            "donor": w.donor.pk,
            "project": w.project.pk,
            "amount": "100.00",
            "received_on": w.day(0),
            "pledge": w.pledge.pk,
        },
    ),
    "POST /api/v1/projects/": lambda w: Call(
        w.root, "/api/v1/projects/", {"district": w.district.code, **_project(w, "NEW")}
    ),
    "PUT /api/v1/projects/{id}/": lambda w: Call(
        w.root, f"/api/v1/projects/{w.project.pk}/", _project(w)
    ),
    "PATCH /api/v1/projects/{id}/": lambda w: Call(
        w.root, f"/api/v1/projects/{w.project.pk}/", {"name": "春蕾"}
    ),
    "POST /api/v1/projects/{id}/allocate/": lambda w: Call(
        w.root,
        f"/api/v1/projects/{w.project.pk}/allocate/",
        {"term": w.term.pk, "schools": [w.school.pk]},
    ),
    "POST /api/v1/projects/{id}/appropriations/": lambda w: Call(
        w.root,
        f"/api/v1/projects/{w.project.pk}/appropriations/",
        {"term": w.term.pk, "source": "social", "amount": "10.00"},
    ),
    "POST /api/v1/ledger/{id}/reverse/": lambda w: Call(
        w.root, f"/api/v1/ledger/{w.appropriation.pk}/reverse/", {"memo": "录入错误"}
    ),
    "POST /api/v1/awards/": lambda w: _award_request(w),
    "POST /api/v1/awards/{id}/cancel/": lambda w: Call(
        w.root, f"/api/v1/awards/{w.unpaid_award.pk}/cancel/", {"reason": "录入错误"}
    ),
    "POST /api/v1/disbursements/{id}/reverse/": lambda w: Call(
        w.root, f"/api/v1/disbursements/{w.payment.pk}/reverse/", {"reason": "付错了账户"}
    ),
    "POST /api/v1/disbursements/": lambda w: Call(
        w.root,
        "/api/v1/disbursements/",
        {
            "award": w.award.pk,
            "method": "bank_transfer",
            "instalment": 1,
            "paid_on": w.day(0),
            "bank_reference": "BANK-1",
        },
    ),
    "POST /api/v1/payment-batches/": lambda w: Call(
        w.root,
        "/api/v1/payment-batches/",
        {
            "school": w.school.pk,
            "project": w.payable_project("PAY-NEW").pk,
            "term": w.term.pk,
            "method": "bank_transfer",
        },
    ),
    "PATCH /api/v1/payment-batches/{id}/": lambda w: Call(
        w.root,
        f"/api/v1/payment-batches/{w.transfer_batch.pk}/",
        {"columns": [["row", "编号"], ["holder", "户名"], ["account", "卡号"], ["amount", "金额"]]},
    ),
    "POST /api/v1/payment-batches/{id}/results/": lambda w: Call(
        w.root,
        f"/api/v1/payment-batches/{w.transfer_batch.pk}/results/",
        {"file": bank_result_upload(), "paid_on": w.day(0)},
        format="multipart",
    ),
    "POST /api/v1/payment-batches/{id}/signed/": lambda w: Call(
        w.root,
        f"/api/v1/payment-batches/{w.cash_batch.pk}/signed/",
        {"rows": [1], "signed_on": w.day(0)},
    ),
    "POST /api/v1/item-donations/": lambda w: Call(
        w.root,
        "/api/v1/item-donations/",
        {
            "donor": w.donor.pk,
            "item_kind": w.item_kind.pk,
            "quantity": 5,
            "received_on": w.day(0),
            "pledge": w.items_pledge.pk,
        },
    ),
    "POST /api/v1/item-distributions/": lambda w: Call(
        w.root,
        "/api/v1/item-distributions/",
        {
            "item_kind": w.item_kind.pk,
            "student": w.student().pk,
            "quantity": 1,
            "given_on": w.day(0),
            "signed_by_student": True,
            "signed_by_guardian": True,
        },
    ),
    # Supervision and complaints (oversight)
    "POST /api/v1/supervision-members/": lambda w: Call(
        w.root,
        "/api/v1/supervision-members/",
        {"school": w.school.pk, "name": "王家长", "affiliation": "parent", "joined_on": w.day(-30)},
    ),
    "PATCH /api/v1/supervision-members/{id}/": lambda w: Call(
        w.root,
        f"/api/v1/supervision-members/{_supervision_member(w).pk}/",
        {"phone": "13800000000"},
        method="PATCH",
    ),
    "POST /api/v1/supervision-meetings/": lambda w: Call(
        w.root,
        "/api/v1/supervision-meetings/",
        {
            "school": w.school.pk,
            "held_on": w.day(0),
            "topic": "资助公示检查",
            "minutes": "会议纪要",
            "attendees": [_supervision_member(w).pk],
        },
    ),
    "POST /api/v1/suggestions/": lambda w: Call(
        w.root,
        "/api/v1/suggestions/",
        {"school": w.school.pk, "kind": "evaluation", "rating": 4, "text": "公示及时"},
    ),
    "POST /api/v1/suggestions/{id}/answer/": lambda w: Call(
        w.root, f"/api/v1/suggestions/{_suggestion(w).pk}/answer/", {"answer": "已采纳"}
    ),
    "POST /api/v1/complaints/": lambda w: Call(w.root, "/api/v1/complaints/", _complaint_body(w)),
    "POST /api/v1/complaints/{id}/answer/": lambda w: Call(
        w.root, f"/api/v1/complaints/{_complaint(w).pk}/answer/", {"answer": "已核实"}
    ),
    "POST /api/v1/complaints/{id}/close/": lambda w: Call(
        w.root, f"/api/v1/complaints/{_complaint(w, answered=True).pk}/close/", {}
    ),
    "POST /api/v1/complaints/{id}/reopen/": lambda w: Call(
        w.root, f"/api/v1/complaints/{_complaint(w, answered=True).pk}/reopen/", {}
    ),
    # Village committees and their review of awards
    "POST /api/v1/village-committees/": lambda w: Call(
        w.root,
        "/api/v1/village-committees/",
        {"district": w.district.pk, "code": "V-NEW", "name": "新村村委会", "kind": "village"},
    ),
    "PATCH /api/v1/village-committees/{id}/": lambda w: Call(
        w.root,
        f"/api/v1/village-committees/{committee_award(w).student.committee_id}/",
        {"name": "新村居委会", "kind": "residents"},
        method="PATCH",
    ),
    "POST /api/v1/committee-reviews/{id}/review/": lambda w: Call(
        w.root,
        f"/api/v1/committee-reviews/{committee_award(w).pk}/review/",
        {"reviewers": ["王主任", "李委员"], "reviewed_on": w.day(0), "decision": "agree"},
    ),
    "POST /api/v1/committee-reviews/{id}/approve/": lambda w: Call(
        w.root, f"/api/v1/committee-reviews/{committee_award(w, agreed=True).pk}/approve/", {}
    ),
}


def _supervision_member(w):
    from oversight.services import member_add

    return member_add(
        by=w.root,
        school=w.school.pk,
        name="赵代表",
        affiliation="deputy",
        joined_on=w.today - datetime.timedelta(days=30),
    )


def _suggestion(w):
    from oversight.services import suggestion_record

    return suggestion_record(by=w.root, school=w.school.pk, kind="suggestion", text="建议")


def _complaint_body(w) -> dict:
    return {
        "school": w.school.pk,
        "received_on": w.day(0),
        "channel": "phone",
        "complainant_name": "李先生",
        "subject": "资助名单",
        "details": "认为某生家庭条件较好",
    }


def _complaint(w, *, answered=False):
    from oversight.services import complaint_move, complaint_record

    body = _complaint_body(w)
    body["received_on"] = w.today
    complaint = complaint_record(by=w.root, **body)
    if answered:
        complaint = complaint_move(by=w.root, complaint=complaint, action="answer", answer="已核实")
    return complaint
