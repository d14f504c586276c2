"""core.serializers.ReadsFieldsDirectly answers exactly what DRF's own serializer answers.

It only reads plain fields faster; every case DRF handles its own way (a
method to call, a dotted source, a missing related row, a field left out
when its attribute is missing, a related field, a dict instead of a model)
must come out the same.
"""

import pytest
from rest_framework import serializers

from core.serializers import ReadsFieldsDirectly
from mentoring.models import Student
from workers.factories import StudentFactory


class PlainStudent(serializers.ModelSerializer):
    school = serializers.SlugRelatedField(slug_field="code", read_only=True)
    school_name = serializers.CharField(source="school.name", read_only=True)
    gender_label = serializers.CharField(source="get_gender_display", read_only=True)
    # A student without a guardian's account: DRF answers None for the missing row.
    account = serializers.CharField(source="guardian_account.number_masked", read_only=True)
    # An attribute no student has: DRF leaves the field out.
    nickname = serializers.CharField(read_only=True, required=False)
    initial = serializers.SerializerMethodField()
    committee = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Student
        fields = [
            "id",
            "school",
            "school_name",
            "student_number",
            "name",
            "gender",
            "gender_label",
            "birth_date",
            "committee",
            "guardian_consents_to_name",
            "account",
            "nickname",
            "initial",
            "created_at",
        ]

    def get_initial(self, student) -> str:
        return student.name[:1]


class DirectStudent(ReadsFieldsDirectly, PlainStudent):
    pass


@pytest.mark.django_db
def test_a_list_of_students_reads_the_same_as_drfs_own():
    students = [StudentFactory() for _ in range(3)]

    assert DirectStudent(students, many=True).data == PlainStudent(students, many=True).data
    first = DirectStudent(students[0]).data
    assert "nickname" not in first
    assert first["account"] is None and first["committee"] is None
    assert first["school"] == students[0].school.code


def test_a_mapping_is_read_as_drf_reads_it():
    row = {"id": 7, "name": "王芳", "gender": "female", "student_number": "S1"}
    fields = ["id", "name", "gender", "student_number"]

    class PlainRow(serializers.ModelSerializer):
        class Meta:
            model = Student
            fields = ["id", "name", "gender", "student_number"]

    class DirectRow(ReadsFieldsDirectly, PlainRow):
        pass

    assert DirectRow(row).data == PlainRow(row).data == {name: row[name] for name in fields}
