"""The English catalogue is complete, compiled and in step with the Vietnamese sources."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "kiemdich" / "locale"
PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "en" / "LC_MESSAGES" / "django.mo"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def entries() -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(PO)) if not e.obsolete]


def test_every_message_is_translated_and_none_is_fuzzy():
    untranslated = [e.msgid for e in entries() if not e.translated()]
    fuzzy = [e.msgid for e in entries() if "fuzzy" in e.flags]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"


def test_plural_forms_and_placeholders_match_the_source():
    for entry in entries():
        if entry.msgid_plural:
            assert set(entry.msgstr_plural) == {0, 1}, entry.msgid
            forms = list(entry.msgstr_plural.values())
        else:
            forms = [entry.msgstr]
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        for form in forms:
            assert form.strip(), entry.msgid
            assert sorted(PLACEHOLDER.findall(form)) == wanted, entry.msgid


def test_the_compiled_catalogue_matches_the_po_file():
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
                for e in polib.mofile(str(MO)) if e.msgid}
    source = {(e.msgctxt, e.msgid): e.msgstr or {int(k): v for k, v in e.msgstr_plural.items()}
              for e in entries()}
    compiled = {k: ({int(i): s for i, s in v.items()} if isinstance(v, dict) else v)
                for k, v in compiled.items()}
    assert compiled == source, "run compilemessages and commit django.mo"


def test_makemessages_finds_no_string_missing_from_the_catalogue(tmp_path):
    """Run makemessages over a copy of the sources: every msgid it finds must be in the
    committed catalogue (and the catalogue must hold no stale msgid)."""
    copy = tmp_path / "kiemdich"
    shutil.copytree(Path(settings.BASE_DIR) / "kiemdich", copy,
                    ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copy(Path(settings.BASE_DIR) / "manage.py", tmp_path / "manage.py")
    env = {**os.environ, "DEBUG": "1", "KIEMDICH_DATA_DIR": str(tmp_path / "var"),
           "PYTHONPATH": str(tmp_path), "DJANGO_SETTINGS_MODULE": "kiemdich.settings"}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "en", "--ignore=var"],
                   cwd=tmp_path, env=env, check=True, capture_output=True)
    fresh = {e.msgid for e in polib.pofile(str(copy / "locale/en/LC_MESSAGES/django.po"))
             if not e.obsolete}
    committed = {e.msgid for e in entries()}
    assert sorted(fresh - committed) == [], "new strings: run makemessages and translate them"
    assert sorted(committed - fresh) == [], "stale strings: run makemessages"
