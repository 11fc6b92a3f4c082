from django.db import migrations, models
from django.utils import timezone


def closed_from_now(apps, schema_editor) -> None:
    # Venues closed before the date was kept: their staff phones are counted from today.
    Venue = apps.get_model("venues", "Venue")
    Venue.objects.filter(status="closed").update(closed_at=timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ('venues', '0003_kiosk_devices'),
    ]

    operations = [
        migrations.AddField(
            model_name='venue',
            name='closed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(closed_from_now, migrations.RunPython.noop),
    ]
