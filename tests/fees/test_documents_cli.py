"""Receipts in the resident's language, and the operator command line."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from bot.i18n import load_catalogs
from core.fees.documents import cjk_font
from core.fees.ledger import record_offline_payment
from core.fees.models import Bill, FeeItem, PaymentMethod
from core.fees.receipts import load_receipt, render_receipt
from tests.fees.helpers import NOW, billed_world


async def test_receipt_in_chinese_with_pdf(session) -> None:
    world = await billed_world(session)
    result = await record_offline_payment(
        session,
        world.community,
        unit_id=world.units[0].id,
        method=PaymentMethod.BANK_TRANSFER,
        amount_minor=46558,
        note="流水号 88",
        actor_person_id=None,
        actor_telegram_id=None,
        now=NOW,
    )
    await session.commit()
    data = await load_receipt(session, result.payment.id)
    doc = render_receipt(data, locale="zh_Hans", translations=load_catalogs()["zh_Hans"])
    assert "🧾 <b>收据 № 00000001</b>" in doc.text
    assert "账期 2026-11" in doc.text
    assert "物业费 (89.50 m² × ¥1.85/平方米)：¥165.58" in doc.text.replace(": ", "：")
    assert "实付金额: ¥465.58" in doc.text
    assert "支付方式: 银行转账" in doc.text
    if cjk_font() is not None:
        pdf = doc.pdf()
        assert pdf is not None and pdf.startswith(b"%PDF") and len(pdf) > 2000


def test_cli_fees_and_bill_generation(database_url, monkeypatch) -> None:
    """The CLI runs its own event loop, so this test is synchronous."""
    import asyncio

    from bot.cli import main
    from core.db import create_engine, create_session_factory
    from tests.factories import make_community, make_unit

    async def setup() -> None:
        engine = create_engine(database_url)
        async with create_session_factory(engine)() as session:
            community = await make_community(session, "CLI Garden")
            await make_unit(session, community, "1栋", "101", area_m2="100.00")
            await make_unit(session, community, "2栋", "201", area_m2="50.00")
            await session.commit()
        await engine.dispose()

    async def check() -> tuple[int, int]:
        engine = create_engine(database_url)
        async with create_session_factory(engine)() as session:
            bill = await session.scalar(select(Bill))
            items = await session.scalar(select(func.count()).select_from(FeeItem))
        await engine.dispose()
        return bill.total_minor, items

    asyncio.run(setup())
    monkeypatch.setenv("COURTYARD_DATABASE_URL", database_url)
    monkeypatch.setenv("COURTYARD_LOG_FORMAT", "text")
    runner = CliRunner()
    added = runner.invoke(
        main,
        [
            "fees",
            "add",
            "CLI Garden",
            "物业费",
            "--kind",
            "per_m2",
            "--amount",
            "2.15",
            "--buildings",
            "1栋",
            "--late-fee",
            "10",
        ],
    )
    assert added.exit_code == 0, added.output
    bad = runner.invoke(
        main, ["fees", "add", "CLI Garden", "x", "--kind", "fixed", "--amount", "1.234"]
    )
    assert bad.exit_code != 0 and "at most 2 decimals" in bad.output
    listing = runner.invoke(main, ["fees", "list", "CLI Garden"])
    assert "物业费: 2.15 CNY per_m2" in listing.output and "1栋" in listing.output
    first = runner.invoke(main, ["bills", "generate", "2026-11", "--community", "CLI Garden"])
    assert "1 bills created" in first.output, first.output
    again = runner.invoke(main, ["bills", "generate", "2026-11", "--community", "CLI Garden"])
    assert "0 bills created, 1 already existed" in again.output
    assert asyncio.run(check()) == (21500, 1)
