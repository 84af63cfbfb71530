#!/usr/bin/env bash
# Extract interface strings (N_, translate, _) into locales/messages.pot and merge them into the
# zh_CN and en catalogs. New strings arrive untranslated: fill their msgstr in zh_CN.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
"$PYBABEL" extract -F babel.cfg -k N_ -k translate:2 -k t --no-location --sort-output \
  --project "POS Dispute Assistant" -o locales/messages.pot .
for lang in zh_CN en; do
  po="locales/$lang/LC_MESSAGES/messages.po"
  if [ -f "$po" ]; then
    "$PYBABEL" update -i locales/messages.pot -l "$lang" -o "$po" --no-fuzzy-matching --ignore-obsolete
  else
    "$PYBABEL" init -i locales/messages.pot -l "$lang" -o "$po"
  fi
done
