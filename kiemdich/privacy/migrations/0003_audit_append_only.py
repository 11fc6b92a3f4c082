"""On PostgreSQL the database itself refuses to change or delete audit entries.

The hash chain shows tampering after the fact; this trigger stops it from the application's
own connection. SQLite has no such guard and relies on the chain (`verify_audit`).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION privacy_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'privacy_auditentry is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS privacy_audit_append_only ON privacy_auditentry;
CREATE TRIGGER privacy_audit_append_only
    BEFORE UPDATE OR DELETE ON privacy_auditentry
    FOR EACH ROW EXECUTE FUNCTION privacy_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS privacy_audit_append_only ON privacy_auditentry;
DROP FUNCTION IF EXISTS privacy_audit_append_only();
"""


def _on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # Straight to the cursor: no parameters, so RAISE's % is not a placeholder.
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [("privacy", "0002_deletion_requests_and_flags")]

    operations = [migrations.RunPython(_on_postgres(CREATE), _on_postgres(DROP))]
