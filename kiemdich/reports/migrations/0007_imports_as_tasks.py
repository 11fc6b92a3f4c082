from django.db import migrations, models
from django.db.models import Max


def drop_repeated_members(apps, schema_editor):
    """Imports before this one could store one person twice (two uploads at once): keep
    the newest row of each key, so the key can be unique."""
    member = apps.get_model("reports", "RosterMember")
    keep = (member.objects.values("organisation", "phone", "id_number_digest")
            .annotate(last=Max("id")).values_list("last", flat=True))
    member.objects.exclude(id__in=list(keep)).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0006_reportsubscription_dailyreport'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='importjob',
            name='created_by',
        ),
        migrations.RemoveField(
            model_name='importjob',
            name='organisation',
        ),
        migrations.RunPython(drop_repeated_members, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='rostermember',
            constraint=models.UniqueConstraint(fields=('organisation', 'phone', 'id_number_digest'), name='rostermember_key'),
        ),
        migrations.DeleteModel(
            name='ImportJob',
        ),
    ]
