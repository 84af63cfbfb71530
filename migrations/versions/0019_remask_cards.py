"""Card numbers in any form masked in rows stored before the detector knew them (issue 19).

Until this revision only ASCII digits with single spaces or dashes were recognised: a full-width
number, one grouped with U+3000, NBSP, `/`, `.`, `_`, a newline or a zero-width space was stored as
typed. Every stored text (cases and their cursor, saved merchant details, file names, the inbox) is
masked again with the one detector, and characters no document can hold are dropped. Both are
idempotent; nothing is undone by the downgrade (a masked number cannot be unmasked).

Revision ID: 0019
Revises: 0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from conversations.cards import mask_everywhere
from conversations.chars import fit_everywhere

revision = "0019"
down_revision = "0009"
branch_labels = None
depends_on = None

# (table, key column, columns holding text); JSON columns are read and written as JSON
_TABLES = (
    ("cases", "id", {"data": sa.JSON, "conv": sa.JSON}),
    ("users", "id", {"profile": sa.JSON}),
    ("evidence_files", "id", {"name": sa.String}),
    ("inbox", "update_id", {"data": sa.JSON}),
)
BATCH = 500


def _clean(value):
    return mask_everywhere(fit_everywhere(value))


def upgrade() -> None:
    bind = op.get_bind()
    for name, key, columns in _TABLES:
        table = sa.table(name, sa.column(key), *(sa.column(c, kind()) for c, kind in columns.items()))
        last = None
        while True:
            query = sa.select(table).order_by(table.c[key]).limit(BATCH)
            if last is not None:
                query = query.where(table.c[key] > last)
            rows = bind.execute(query).mappings().all()
            if not rows:
                break
            for row in rows:
                changes = {c: _clean(row[c]) for c in columns if row[c] is not None}
                changes = {c: v for c, v in changes.items() if v != row[c]}
                if changes:
                    bind.execute(sa.update(table).where(table.c[key] == row[key]).values(**changes))
            last = rows[-1][key]


def downgrade() -> None:
    pass
