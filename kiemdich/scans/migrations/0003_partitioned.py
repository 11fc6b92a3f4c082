"""Idempotency moves to ScanNonce; on PostgreSQL scans and visits become partitioned by day.

Existing rows are kept: the plain tables are renamed, the partitioned ones made in their place
(primary keys (venue_id, id, <partition key>), the model's indexes, a DEFAULT partition and one
partition per day the data covers up to a week ahead), the rows copied over, the plain tables
dropped. SQLite keeps plain tables.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models

from kiemdich.core import clock

PARTITIONED = [("Scan", "scans_scan", "scanned_at"), ("Visit", "scans_visit", "day")]


def copy_nonces(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("INSERT INTO scans_scannonce (venue_id, nonce, scan_id, scanned_at) "
                       "SELECT venue_id, nonce, MIN(id), MIN(scanned_at) FROM scans_scan "
                       "WHERE nonce IS NOT NULL GROUP BY venue_id, nonce")


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from kiemdich.scans import partitions

    with schema_editor.connection.cursor() as cursor:
        for model_name, table, key in PARTITIONED:
            plain = f"{table}_plain"
            cursor.execute(f"ALTER TABLE {table} RENAME TO {plain}")
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s AND "
                           "indexname NOT LIKE %s", [plain, "%pkey"])
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute(f"CREATE TABLE {table} (LIKE {plain} INCLUDING DEFAULTS) "
                           f"PARTITION BY RANGE ({key})")
            cursor.execute(f"CREATE SEQUENCE {table}_id_part_seq OWNED BY {table}.id")
            cursor.execute(f"SELECT setval('{table}_id_part_seq', "
                           f"COALESCE((SELECT MAX(id) FROM {plain}), 0) + 1, false)")
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT "
                           f"nextval('{table}_id_part_seq')")
            cursor.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (venue_id, id, {key})")
            cursor.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
            model = apps.get_model("scans", model_name)
            for index in model._meta.indexes:
                schema_editor.add_index(model, index)
        cursor.execute("SELECT MIN(scanned_at) FROM scans_scan_plain")
        oldest = cursor.fetchone()[0]
        today = clock.today()
        first = min(clock.local_day(oldest), today) if oldest else today
        partitions.ensure(first - timedelta(days=1), today + timedelta(days=partitions.AHEAD_DAYS))
        for _model_name, table, _key in PARTITIONED:
            cursor.execute(f"INSERT INTO {table} SELECT * FROM {table}_plain")
            cursor.execute(f"DROP TABLE {table}_plain")


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0002_credential_issued_by'),
        ('scans', '0002_visit_day'),
        ('venues', '0002_place_keys'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ScanNonce',
            fields=[
                ('pk', models.CompositePrimaryKey('venue_id', 'nonce', blank=True, editable=False, primary_key=True, serialize=False)),
                ('venue_id', models.BigIntegerField()),
                ('nonce', models.CharField(max_length=64)),
                ('scan_id', models.BigIntegerField()),
                ('scanned_at', models.DateTimeField()),
            ],
        ),
        migrations.RemoveConstraint(
            model_name='scan',
            name='scan_nonce_per_venue',
        ),
        migrations.AddIndex(
            model_name='scan',
            index=models.Index(condition=models.Q(('accepted', False)), fields=['scanned_at'], name='scan_refused_time'),
        ),
        migrations.AddIndex(
            model_name='scannonce',
            index=models.Index(fields=['scanned_at'], name='scannonce_time'),
        ),
        migrations.RunPython(copy_nonces, migrations.RunPython.noop),
        migrations.RunPython(partition),
    ]
