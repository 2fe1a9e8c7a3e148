"""API shapes of the people directory: read-only, built from the selectors' rows."""

from rest_framework import serializers

from people.models import Contact, Role, Rotation


class ContactSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    username = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = ["id", "name", "roles", "phone", "slack_handle", "email", "time_zone", "username",
                  "needs_filling_in"]

    def get_roles(self, contact: Contact) -> list[str]:
        return [role.name for role in contact.roles.all()]

    def get_username(self, contact: Contact) -> str | None:
        return contact.user.get_username() if contact.user else None


class ReachSerializer(serializers.ModelSerializer):
    """How to reach a contact, where a contact is named inside another answer."""

    class Meta:
        model = Contact
        fields = ["id", "name", "phone", "slack_handle", "email", "time_zone"]


class ShiftSerializer(serializers.Serializer):
    contact = ReachSerializer()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    is_override = serializers.BooleanField()


class RotationSerializer(serializers.ModelSerializer):
    length = serializers.CharField(source="length_display")

    class Meta:
        model = Rotation
        fields = ["id", "name", "length", "handoff_time", "time_zone", "start_date"]


class OncallSerializer(serializers.Serializer):
    rotation = RotationSerializer()
    now = ShiftSerializer(allow_null=True)
    next = ShiftSerializer(allow_null=True)
    schedule = ShiftSerializer(many=True, source="upcoming")


class PersonRoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Role
        fields = ["name", "kind", "phone", "slack_handle"]


class RoleRowSerializer(serializers.Serializer):
    role = PersonRoleSerializer()
    contacts = ReachSerializer(many=True)


class LevelRowSerializer(serializers.Serializer):
    number = serializers.IntegerField(source="level.number")
    when = serializers.CharField()
    after_seconds = serializers.SerializerMethodField()
    next_business_day = serializers.BooleanField(source="level.next_business_day")
    repeat_every_seconds = serializers.SerializerMethodField()
    max_repeats = serializers.IntegerField(source="level.max_repeats")
    repeats = serializers.CharField()
    how = serializers.CharField(source="level.how")
    roles = RoleRowSerializer(many=True)

    def get_after_seconds(self, row) -> int:
        return int(row.level.after.total_seconds())

    def get_repeat_every_seconds(self, row) -> int | None:
        every = row.level.repeat_every
        return int(every.total_seconds()) if every is not None else None


class SeverityRowSerializer(serializers.Serializer):
    severity = serializers.CharField(source="severity.name")
    label = serializers.CharField(source="severity.label")  # type: ignore[assignment]  # Field.label, not ours
    definition = serializers.CharField(source="severity.definition")
    response_time = serializers.CharField(source="severity.response_time_display")
    note = serializers.CharField()
    levels = LevelRowSerializer(many=True)
