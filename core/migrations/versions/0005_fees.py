"""fees: schedule, bills, payment ledger, invoices, outbox, reminders, statements

Revision ID: 0005_fees
Revises: 0001_foundation
Create Date: 2026-11-25 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db
from core.migration_helpers import drop_append_only, make_append_only

revision: str = "0005_fees"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("fees",)
depends_on: str | Sequence[str] | None = None

# The ledger: corrections are new entries, never edits (see core/fees/models.py).
APPEND_ONLY = (
    "payments",
    "payment_allocations",
    "refunds",
    "bill_adjustments",
    "expenses",
    "bill_lines",
)


def upgrade() -> None:
    op.create_table('bill_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('actor_person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('bills_created', sa.Integer(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_person_id'], ['people.id'], name=op.f('fk_bill_runs_actor_person_id_people')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_bill_runs_community_id_communities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_runs'))
    )
    with op.batch_alter_table('bill_runs', schema=None) as batch_op:
        batch_op.create_index('ix_bill_runs_community_period', ['community_id', 'period'], unique=False)

    op.create_table('expenses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('fund', sa.Enum('operating', 'maintenance', name='fund', native_enum=False, length=24), nullable=False),
    sa.Column('direction', sa.Enum('out', 'in', name='direction', native_enum=False, length=24), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('receipt_file_id', sa.String(length=255), nullable=True),
    sa.Column('reverses_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('recorded_by_person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_expenses_community_id_communities')),
    sa.ForeignKeyConstraint(['recorded_by_person_id'], ['people.id'], name=op.f('fk_expenses_recorded_by_person_id_people')),
    sa.ForeignKeyConstraint(['reverses_id'], ['expenses.id'], name=op.f('fk_expenses_reverses_id_expenses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expenses'))
    )
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.create_index('ix_expenses_community_on', ['community_id', 'occurred_on'], unique=False)

    op.create_table('fee_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.Enum('per_m2', 'fixed', 'parking', name='feekind', native_enum=False, length=24), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('scope', sa.Enum('all', 'buildings', 'units', name='feescope', native_enum=False, length=24), nullable=False),
    sa.Column('period_months', sa.Integer(), nullable=False),
    sa.Column('due_day', sa.Integer(), nullable=False),
    sa.Column('late_fee_minor', sa.BigInteger(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('retired_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_fee_items_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_person_id'], ['people.id'], name=op.f('fk_fee_items_created_by_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_items'))
    )
    with op.batch_alter_table('fee_items', schema=None) as batch_op:
        batch_op.create_index('ix_fee_items_community_active', ['community_id', 'active'], unique=False)

    op.create_table('fee_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=96), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'failed', name='outboxstatus', native_enum=False, length=24), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=255), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_fee_outbox_community_id_communities')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_fee_outbox_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_outbox')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_fee_outbox_dedupe_key'))
    )
    with op.batch_alter_table('fee_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_fee_outbox_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('fee_statements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('actor_person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_person_id'], ['people.id'], name=op.f('fk_fee_statements_actor_person_id_people')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_fee_statements_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_statements')),
    sa.UniqueConstraint('community_id', 'period_start', 'period_end', 'trigger', name=op.f('uq_fee_statements_community_id_period_start_period_end_trigger'))
    )
    op.create_table('bills',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('amount_due_minor', sa.BigInteger(), nullable=False),
    sa.Column('paid_minor', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('open', 'paid', name='billstatus', native_enum=False, length=24), nullable=False),
    sa.Column('paid_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_bills_community_id_communities')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_bills_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bills')),
    sa.UniqueConstraint('unit_id', 'period', name=op.f('uq_bills_unit_id_period'))
    )
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.create_index('ix_bills_community_period', ['community_id', 'period'], unique=False)
        batch_op.create_index('ix_bills_status_due', ['community_id', 'status', 'due_date'], unique=False)

    op.create_table('fee_invoices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('token', sa.String(length=16), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_checkout_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_fee_invoices_community_id_communities')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_fee_invoices_person_id_people')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_fee_invoices_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_invoices'))
    )
    op.create_table('fee_item_targets',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('fee_item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('building_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_fee_item_targets_building_id_buildings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['fee_item_id'], ['fee_items.id'], name=op.f('fk_fee_item_targets_fee_item_id_fee_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_fee_item_targets_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_item_targets'))
    )
    with op.batch_alter_table('fee_item_targets', schema=None) as batch_op:
        batch_op.create_index('ix_fee_item_targets_item', ['fee_item_id'], unique=False)

    op.create_table('bill_adjustments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bill_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('manual', 'late_fee', name='adjustmentkind', native_enum=False, length=24), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('key', sa.String(length=64), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_person_id'], ['people.id'], name=op.f('fk_bill_adjustments_actor_person_id_people')),
    sa.ForeignKeyConstraint(['bill_id'], ['bills.id'], name=op.f('fk_bill_adjustments_bill_id_bills')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_bill_adjustments_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_adjustments')),
    sa.UniqueConstraint('key', name=op.f('uq_bill_adjustments_key'))
    )
    with op.batch_alter_table('bill_adjustments', schema=None) as batch_op:
        batch_op.create_index('ix_bill_adjustments_bill', ['bill_id'], unique=False)

    op.create_table('bill_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bill_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('fee_item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.Enum('per_m2', 'fixed', 'parking', name='feekind', native_enum=False, length=24), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('rate_minor', sa.BigInteger(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['bills.id'], name=op.f('fk_bill_lines_bill_id_bills')),
    sa.ForeignKeyConstraint(['fee_item_id'], ['fee_items.id'], name=op.f('fk_bill_lines_fee_item_id_fee_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_lines'))
    )
    with op.batch_alter_table('bill_lines', schema=None) as batch_op:
        batch_op.create_index('ix_bill_lines_bill', ['bill_id'], unique=False)

    op.create_table('fee_checkout_holds',
    sa.Column('bill_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('invoice_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('expires_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['bills.id'], name=op.f('fk_fee_checkout_holds_bill_id_bills')),
    sa.ForeignKeyConstraint(['invoice_id'], ['fee_invoices.id'], name=op.f('fk_fee_checkout_holds_invoice_id_fee_invoices')),
    sa.PrimaryKeyConstraint('bill_id', name=op.f('pk_fee_checkout_holds'))
    )
    op.create_table('fee_invoice_bills',
    sa.Column('invoice_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bill_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['bills.id'], name=op.f('fk_fee_invoice_bills_bill_id_bills')),
    sa.ForeignKeyConstraint(['invoice_id'], ['fee_invoices.id'], name=op.f('fk_fee_invoice_bills_invoice_id_fee_invoices')),
    sa.PrimaryKeyConstraint('invoice_id', 'bill_id', name=op.f('pk_fee_invoice_bills'))
    )
    op.create_table('fee_reminders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bill_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('delivered', sa.Integer(), nullable=False),
    sa.Column('sent_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['bills.id'], name=op.f('fk_fee_reminders_bill_id_bills')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_reminders'))
    )
    with op.batch_alter_table('fee_reminders', schema=None) as batch_op:
        batch_op.create_index('ix_fee_reminders_bill_at', ['bill_id', 'sent_at'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('method', sa.Enum('telegram', 'cash', 'bank_transfer', name='paymentmethod', native_enum=False, length=24), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payer_person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('telegram_payment_charge_id', sa.String(length=255), nullable=True),
    sa.Column('provider_payment_charge_id', sa.String(length=255), nullable=True),
    sa.Column('invoice_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('recorded_by_person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('received_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_payments_community_id_communities')),
    sa.ForeignKeyConstraint(['invoice_id'], ['fee_invoices.id'], name=op.f('fk_payments_invoice_id_fee_invoices')),
    sa.ForeignKeyConstraint(['payer_person_id'], ['people.id'], name=op.f('fk_payments_payer_person_id_people')),
    sa.ForeignKeyConstraint(['recorded_by_person_id'], ['people.id'], name=op.f('fk_payments_recorded_by_person_id_people')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_payments_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('telegram_payment_charge_id', name=op.f('uq_payments_telegram_payment_charge_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_community_received', ['community_id', 'received_at'], unique=False)
        batch_op.create_index('ix_payments_unit', ['unit_id'], unique=False)

    op.create_table('payment_allocations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bill_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['bills.id'], name=op.f('fk_payment_allocations_bill_id_bills')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_allocations_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_allocations')),
    sa.UniqueConstraint('payment_id', 'bill_id', name=op.f('uq_payment_allocations_payment_id_bill_id'))
    )
    with op.batch_alter_table('payment_allocations', schema=None) as batch_op:
        batch_op.create_index('ix_payment_allocations_bill', ['bill_id'], unique=False)

    op.create_table('refunds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group', sa.String(length=32), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bill_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_person_id'], ['people.id'], name=op.f('fk_refunds_actor_person_id_people')),
    sa.ForeignKeyConstraint(['bill_id'], ['bills.id'], name=op.f('fk_refunds_bill_id_bills')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_refunds_community_id_communities')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refunds_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index('ix_refunds_bill', ['bill_id'], unique=False)
        batch_op.create_index('ix_refunds_payment', ['payment_id'], unique=False)

    for table in APPEND_ONLY:
        make_append_only(table)


def downgrade() -> None:
    for table in APPEND_ONLY:
        drop_append_only(table)
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_refunds_payment')
        batch_op.drop_index('ix_refunds_bill')

    op.drop_table('refunds')
    with op.batch_alter_table('payment_allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_allocations_bill')

    op.drop_table('payment_allocations')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_unit')
        batch_op.drop_index('ix_payments_community_received')

    op.drop_table('payments')
    with op.batch_alter_table('fee_reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_fee_reminders_bill_at')

    op.drop_table('fee_reminders')
    op.drop_table('fee_invoice_bills')
    op.drop_table('fee_checkout_holds')
    with op.batch_alter_table('bill_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_bill_lines_bill')

    op.drop_table('bill_lines')
    with op.batch_alter_table('bill_adjustments', schema=None) as batch_op:
        batch_op.drop_index('ix_bill_adjustments_bill')

    op.drop_table('bill_adjustments')
    with op.batch_alter_table('fee_item_targets', schema=None) as batch_op:
        batch_op.drop_index('ix_fee_item_targets_item')

    op.drop_table('fee_item_targets')
    op.drop_table('fee_invoices')
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.drop_index('ix_bills_status_due')
        batch_op.drop_index('ix_bills_community_period')

    op.drop_table('bills')
    op.drop_table('fee_statements')
    with op.batch_alter_table('fee_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_fee_outbox_due')

    op.drop_table('fee_outbox')
    with op.batch_alter_table('fee_items', schema=None) as batch_op:
        batch_op.drop_index('ix_fee_items_community_active')

    op.drop_table('fee_items')
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.drop_index('ix_expenses_community_on')

    op.drop_table('expenses')
    with op.batch_alter_table('bill_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_bill_runs_community_period')

    op.drop_table('bill_runs')
