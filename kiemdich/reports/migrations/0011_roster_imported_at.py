from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0010_area_totals'),
    ]

    operations = [
        migrations.AddField(
            model_name='organisation',
            name='roster_imported_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='rostermember',
            name='imported_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
