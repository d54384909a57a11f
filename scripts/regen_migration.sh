#!/usr/bin/env bash
# DEV ONLY (removed before the issue closes): rebuild the unreleased 20261125 migration from the models.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/regen_migration.lock
flock 9
rm -f crm_server/migrations/versions/20261125_*.py
tmp=$(mktemp -d)
export CRM_PATHS_DATA_DIR=$tmp CRM_JOBS_ENABLED=no CRM_DATABASE_URL=
.venv/bin/python - <<'PY'
from crm_server import create_app
from flask_migrate import upgrade
from crm_server.paths import MIGRATIONS_DIR
app = create_app()
with app.app_context():
    upgrade(directory=str(MIGRATIONS_DIR))
PY
FLASK_APP=crm_server:create_app .venv/bin/flask db migrate -d crm_server/migrations \
    -m "customers contacts followups pool reminders dictionaries" >/dev/null 2>&1
f=$(ls crm_server/migrations/versions/20261125_*.py)
# a fixed revision id, so regenerating does not change what other files point at
sed -i "s/^revision = '[0-9a-f]*'/revision = 'c3a5e1d2b4f6'/; s/^Revision ID: [0-9a-f]*/Revision ID: c3a5e1d2b4f6/" "$f"
# Downgrade: drop the tables only (their indexes go with them; MariaDB refuses to drop an index a foreign key uses).
python3 - "$f" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
head, down = text.split("def downgrade():", 1)
drops = re.findall(r"^    op\.drop_table\('[a-z_]+'\)$", down, re.M)
open(path, "w").write(head + "def downgrade():\n    # Dropping a table drops its indexes too.\n" + "\n".join(drops) + "\n")
PY
mv "$f" crm_server/migrations/versions/20261125_c3a5e1d2b4f6_customers_contacts_followups_pool.py
rm -rf "$tmp"
echo "regenerated"
