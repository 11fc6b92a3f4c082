"""The two PostgreSQL roles of a deployment: an owner that runs migrations and the partition
maintenance, and the application's role, which may read and write the data but only INSERT
and SELECT the audit trail — it can neither change nor delete an entry, TRUNCATE the table,
disable its triggers (only an owner can) nor set session_replication_role (only a superuser
can). `manage.py setup_db_roles` applies this, idempotently, from an administrator's
connection; it is run again after each migration that adds tables (README, "Database roles").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.backends.utils import CursorWrapper
from psycopg import sql

AUDIT_TABLE = "privacy_auditentry"


@dataclass
class RolePlan:
    owner: str
    app: str
    owner_password: str = ""
    app_password: str = ""


def _role_exists(cursor: CursorWrapper, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
    return cursor.fetchone() is not None


def _ensure_role(cursor: CursorWrapper, name: str, password: str) -> None:
    role = sql.Identifier(name)
    if not _role_exists(cursor, name):
        cursor.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB "
                               "NOREPLICATION NOBYPASSRLS").format(role))
    if password:
        cursor.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(password)))


def apply(plan: RolePlan) -> dict[str, int]:
    """Create the roles (when missing), give the owner the database's objects and the app
    role its grants. Returns counts of what was handed over."""
    if connection.vendor != "postgresql":
        raise RuntimeError("database roles exist on PostgreSQL only")
    owner, app = sql.Identifier(plan.owner), sql.Identifier(plan.app)
    with connection.cursor() as cursor:
        _ensure_role(cursor, plan.owner, plan.owner_password)
        _ensure_role(cursor, plan.app, plan.app_password)
        cursor.execute("SELECT current_database()")
        database = sql.Identifier(cursor.fetchone()[0])
        cursor.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(database, owner))
        cursor.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(owner))
        # Tables (partitions included) and views; sequences that belong to a column follow
        # their table, the others are handed over on their own.
        cursor.execute("""
            SELECT c.relname, c.relkind FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
              AND NOT (c.relkind = 'S' AND EXISTS (
                  SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
              AND pg_get_userbyid(c.relowner) <> %s""", [plan.owner])
        relations = cursor.fetchall()
        for name, kind in relations:
            statement = "ALTER SEQUENCE {} OWNER TO {}" if kind == "S" else \
                "ALTER TABLE {} OWNER TO {}"
            cursor.execute(sql.SQL(statement).format(sql.Identifier(name), owner))
        cursor.execute("""
            SELECT p.oid::regprocedure::text FROM pg_proc p
            JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> %s""", [plan.owner])
        functions = [row[0] for row in cursor.fetchall()]
        for signature in functions:
            cursor.execute(sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(
                sql.SQL(signature), owner))
        for statement in (
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            "GRANT CONNECT ON DATABASE {database} TO {app}",
            "GRANT USAGE ON SCHEMA public TO {app}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
            "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {app}",
            # What migrations create later: the same grants, from the owner's objects.
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            "GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {app}",
            # The audit trail: append and read, nothing else.
            "REVOKE ALL ON {audit} FROM {app}",
            "GRANT SELECT, INSERT ON {audit} TO {app}",
        ):
            cursor.execute(sql.SQL(statement).format(
                database=database, app=app, owner=owner, audit=sql.Identifier(AUDIT_TABLE)))
    return {"relations": len(relations), "functions": len(functions)}
