"""On PostgreSQL the database also refuses TRUNCATE of the audit trail (a statement trigger:
TRUNCATE fires no row trigger, so 0003's guard did not see it)."""

from django.db import migrations

CREATE = """
DROP TRIGGER IF EXISTS privacy_audit_no_truncate ON privacy_auditentry;
CREATE TRIGGER privacy_audit_no_truncate
    BEFORE TRUNCATE ON privacy_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION privacy_audit_append_only();
"""

DROP = "DROP TRIGGER IF EXISTS privacy_audit_no_truncate ON privacy_auditentry;"


def _on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [("privacy", "0003_audit_append_only")]

    operations = [migrations.RunPython(_on_postgres(CREATE), _on_postgres(DROP))]
