import datetime

from django.db import migrations, models


def fill_days(apps, schema_editor):
    """Existing visits get the local day of their first time (entry, else exit)."""
    from zoneinfo import ZoneInfo

    from django.conf import settings

    zone = ZoneInfo(settings.TIME_ZONE)
    Visit = apps.get_model("scans", "Visit")
    for visit in Visit.objects.all().iterator():
        anchor = visit.entered_at or visit.left_at or visit.closes_at
        visit.day = anchor.astimezone(zone).date()
        visit.save(update_fields=["day"])


class Migration(migrations.Migration):

    dependencies = [
        ("scans", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="visit",
            name="day",
            field=models.DateField(default=datetime.date(2021, 1, 1)),
            preserve_default=False,
        ),
        migrations.RunPython(fill_days, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="scan",
            index=models.Index(fields=["venue", "person", "scanned_at"], name="scan_venue_person_time"),
        ),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["venue", "person", "day"], name="visit_venue_person_day"),
        ),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["venue", "day"], name="visit_venue_day"),
        ),
    ]
