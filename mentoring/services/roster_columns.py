"""The roster's columns: their Chinese headers, the words cells may hold, and a row as read.

What a roster file holds, shared by the import (`mentoring.services.roster`),
the cell checks, the writer and the template.
"""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy

from mentoring.models import Gender, HardshipKind, School, SchoolLevel, Subject

ROSTER_MAX_ROWS = 20_000
# The committee's code in a cell; the import stores the committee it names
# (`mentoring.services.committees.roster_committees_resolve`).
COMMITTEE_HEADER = "村(居)委会代码"


@dataclass(frozen=True)
class RosterColumn:
    header: str
    key: str
    # A value is needed in every row (学校代码 only when no school is chosen).
    required: bool
    # Whether the cell is free text, checked for formula injection.
    text: bool
    help: str


YES_NO = {"是": True, "否": False}
GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE}
LEVELS = {
    "学前": SchoolLevel.PRESCHOOL,
    "小学": SchoolLevel.PRIMARY,
    "初中": SchoolLevel.JUNIOR_MIDDLE,
}
BOARDING = {"寄宿": True, "走读": False}
LEVEL_GRADES = {
    SchoolLevel.PRESCHOOL: range(1, 4),
    SchoolLevel.PRIMARY: range(1, 7),
    SchoolLevel.JUNIOR_MIDDLE: range(7, 10),
}

# 贫困类型: the words county exports use, each mapped to one kind. The first
# word of each kind is the one the template documents.
HARDSHIP_WORDS: dict[str, HardshipKind] = {
    "低保": HardshipKind.DIBAO,
    "特困供养/五保": HardshipKind.TEKUN,
    "特困供养": HardshipKind.TEKUN,
    "特困": HardshipKind.TEKUN,
    "五保": HardshipKind.TEKUN,
    "孤儿": HardshipKind.ORPHAN,
    "事实无人抚养": HardshipKind.ORPHAN,
    "单亲/父母一方去世": HardshipKind.PARENT_DECEASED,
    "单亲": HardshipKind.PARENT_DECEASED,
    "父母一方去世": HardshipKind.PARENT_DECEASED,
    "父母双亡": HardshipKind.BOTH_PARENTS_DECEASED,
    "父母残疾": HardshipKind.DISABLED_PARENT,
    "残疾": HardshipKind.DISABLED_STUDENT,
    "大病/长期患病": HardshipKind.LONG_TERM_ILLNESS,
    "大病": HardshipKind.LONG_TERM_ILLNESS,
    "长期患病": HardshipKind.LONG_TERM_ILLNESS,
    "灾害/突发变故": HardshipKind.DISASTER,
    "灾害": HardshipKind.DISASTER,
    "突发变故": HardshipKind.DISASTER,
    "脱贫户/建档立卡": HardshipKind.REGISTERED_POVERTY,
    "脱贫户": HardshipKind.REGISTERED_POVERTY,
    "建档立卡": HardshipKind.REGISTERED_POVERTY,
    "监测户": HardshipKind.MONITORED_HOUSEHOLD,
    "烈士子女": HardshipKind.MARTYR_CHILD,
    "残疾军人子女": HardshipKind.DISABLED_SOLDIER_CHILD,
    "其他": HardshipKind.OTHER,
}
SUBJECT_WORDS: dict[str, Subject] = {
    "语文": Subject.CHINESE,
    "数学": Subject.MATH,
    "英语": Subject.ENGLISH,
    "科学": Subject.SCIENCE,
    "物理": Subject.PHYSICS,
    "化学": Subject.CHEMISTRY,
    "生物": Subject.BIOLOGY,
    "历史": Subject.HISTORY,
    "地理": Subject.GEOGRAPHY,
    "道德与法治": Subject.POLITICS,
    "道法": Subject.POLITICS,
    "政治": Subject.POLITICS,
    "音乐": Subject.ARTS,
    "美术": Subject.ARTS,
    "艺术": Subject.ARTS,
    "体育": Subject.PE,
    "体育与健康": Subject.PE,
    "其他": Subject.OTHER,
}
# Words in 贫困类型 and 薄弱科目 are separated by 、 or a comma (either width),
# a semicolon or white space; "/" belongs to words such as 特困供养/五保.
LIST_SEPARATORS = re.compile("[、,\uff0c;\uff1b\\s]+")
NOTHING_LISTED = {"无", "没有", "-"}

COLUMNS = [
    RosterColumn(
        "学校代码",
        "school_code",
        True,
        True,
        gettext_lazy(
            "The school's code in Bangfu. May be left out when a school is chosen for the import."
        ),
    ),
    RosterColumn(
        "学籍号",
        "student_number",
        True,
        True,
        gettext_lazy(
            "Required. Letters and digits, at most 32. Identifies the student within "
            "the school: importing it again updates the same student."
        ),
    ),
    RosterColumn("姓名", "name", True, True, gettext_lazy("Required. At most 50 characters.")),
    RosterColumn("性别", "gender", True, False, gettext_lazy("Required. 男 or 女.")),
    RosterColumn(
        "出生日期",
        "birth_date",
        True,
        False,
        gettext_lazy("Required. YYYY-MM-DD or YYYYMMDD (a date cell works too)."),
    ),
    RosterColumn(
        "身份证号码",
        "id_number",
        True,
        False,
        gettext_lazy(
            "Required. 18 characters with a valid check digit (GB 11643); the birth "
            "date inside must equal 出生日期. Format the column as text. Only a "
            "keyed hash and the last four characters are stored."
        ),
    ),
    RosterColumn("学段", "level", True, False, gettext_lazy("Required. 学前, 小学 or 初中.")),
    RosterColumn(
        "年级",
        "grade",
        True,
        False,
        gettext_lazy("Required. 1-3 for 学前, 1-6 for 小学, 7-9 for 初中."),
    ),
    RosterColumn(
        "班级", "class_name", True, True, gettext_lazy("Required. At most 20 characters.")
    ),
    RosterColumn(
        "就读方式", "boarding", False, False, gettext_lazy("寄宿 or 走读; blank means 走读.")
    ),
    RosterColumn("村组(社区)", "village", False, True, gettext_lazy("At most 100 characters.")),
    RosterColumn(
        COMMITTEE_HEADER,
        "committee_id",
        False,
        True,
        gettext_lazy(
            "The code of the village or residents' committee of the family's residence, "
            "as the district lists it (village-committees/); blank means none on record."
        ),
    ),
    RosterColumn("监护人", "guardian_name", False, True, gettext_lazy("At most 50 characters.")),
    RosterColumn(
        "联系电话",
        "guardian_phone",
        False,
        True,
        gettext_lazy("Digits, spaces and hyphens, starting with a digit; at most 20."),
    ),
    RosterColumn("家庭人口", "household_size", False, False, gettext_lazy("A whole number, 1-30.")),
    RosterColumn(
        "家庭人均年收入(元)",
        "income",
        False,
        False,
        gettext_lazy("Yuan per person per year, at most two decimals, not negative."),
    ),
    RosterColumn(
        "是否残疾生",
        "disabled",
        False,
        False,
        gettext_lazy("是 or 否; blank (unknown) is stored as 否."),
    ),
    RosterColumn(
        "贫困类型",
        "hardship",
        False,
        False,
        gettext_lazy(
            "None, one or several of the words below, separated by 、 or a comma. "
            "Each is recorded as a hardship indicator from the roster, dated the day of the import."
        ),
    ),
    RosterColumn(
        "是否学困生",
        "struggling",
        False,
        False,
        gettext_lazy("是 or 否; blank (unknown) is stored as 否."),
    ),
    RosterColumn(
        "薄弱科目",
        "weak_subjects",
        False,
        False,
        gettext_lazy(
            "Only for 学困生 (是否学困生 = 是): one or several of the subjects below, "
            "separated by 、 or a comma."
        ),
    ),
]
# Optional scores of the main subjects, one column per subject and exam
# (语文期初成绩 … 英语期末成绩), keyed `score:<subject>:<exam>`; other
# subjects are entered on the mentor's page or through the API.
SCORE_SUBJECTS = {"语文": Subject.CHINESE, "数学": Subject.MATH, "英语": Subject.ENGLISH}
SCORE_EXAMS = {"期初": "start_score", "期末": "end_score"}
SCORE_PREFIX = "score:"
COLUMNS += [
    RosterColumn(
        f"{word}{exam}成绩",
        f"{SCORE_PREFIX}{subject}:{field}",
        False,
        False,
        gettext_lazy(
            "A score from 0 to 150 with at most one decimal, for this term; "
            "blank leaves the score as it is."
        ),
    )
    for word, subject in SCORE_SUBJECTS.items()
    for exam, field in SCORE_EXAMS.items()
]
COLUMNS_BY_HEADER = {column.header: column for column in COLUMNS}

STUDENT_FIELDS = {
    "name": ["name"],
    "gender": ["gender"],
    "birth_date": ["birth_date"],
    "id_number": ["id_hash", "id_masked"],
    "village": ["village"],
    "committee_id": ["committee_id"],
    "guardian_name": ["guardian_name"],
    "guardian_phone": ["guardian_phone"],
}
RECORD_FIELDS = {
    "level": ["level"],
    "grade": ["grade"],
    "class_name": ["class_name"],
    "boarding": ["boarding"],
    "household_size": ["household_size"],
    "income": ["income_per_capita_fen"],
    "disabled": ["disabled"],
    "struggling": ["struggling"],
    "weak_subjects": ["weak_subjects"],
}
MAX_LENGTHS = {
    "school_code": 32,
    "student_number": 32,
    "name": 50,
    "class_name": 20,
    "village": 100,
    "committee_id": 32,
    "guardian_name": 50,
    "guardian_phone": 20,
}


@dataclass
class RosterRow:
    """One student row as checked: its cells' values by column key."""

    number: int
    school: School | None = None
    student_number: str = ""
    values: dict = field(default_factory=dict)
    id_number: str = ""
    # Its keyed hash, computed once by the duplicate check and kept for the writer.
    id_hash: str = ""
    hardship: list[str] = field(default_factory=list)
    # The scores given, by subject: {"math": {"start_score": Decimal("61.5")}}.
    scores: dict[str, dict] = field(default_factory=dict)
    # Keys of the cells refused, so that checks across columns skip them.
    refused: set[str] = field(default_factory=set)
