"""Every person gets a random public id, the subject of their QR codes from now on."""

from django.db import migrations, models

import kiemdich.people.models

_BATCH = 5000


def fill(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    ids = Person.objects.filter(public_id__isnull=True).order_by("pk").values_list("pk",
                                                                                   flat=True)
    pending = list(ids[:_BATCH])
    while pending:
        Person.objects.bulk_update(
            [Person(pk=pk, public_id=kiemdich.people.models.random_public_id())
             for pk in pending], ["public_id"])
        pending = list(ids[:_BATCH])


class Migration(migrations.Migration):
    dependencies = [("people", "0003_signing_keys")]

    operations = [
        migrations.AddField("person", "public_id", models.BigIntegerField(null=True)),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField("person", "public_id", models.BigIntegerField(
            default=kiemdich.people.models.random_public_id, editable=False, unique=True)),
    ]
