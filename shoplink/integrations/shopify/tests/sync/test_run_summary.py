"""The Activity line of a finished run: counts with plurals, failures named, no bare colon."""

from shoplink.integrations.shopify.models import EntitySync
from shoplink.integrations.shopify.sync.finish import run_summary


def _row(entity: str, done: int) -> EntitySync:
    return EntitySync(entity=entity, done=done)


def test_counts_use_the_right_plural():
    line = run_summary("initial", [_row("customers", 1), _row("orders", 1_250)], [])
    assert line == "Initial sync finished: 1 customer, 1,250 orders and checkouts imported."


def test_failed_entities_are_named_without_a_dangling_colon():
    line = run_summary("resync", [_row("products", 2)], [_row("customers", 0), _row("orders", 0)])
    assert (
        line
        == "Re-sync finished: 2 products imported. Customers, Orders failed; see Sync settings."
    )


def test_a_run_where_everything_failed_still_reads_as_a_sentence():
    assert run_summary("retry", [], [_row("collections", 0)]) == (
        "Retry finished. Collections failed; see Sync settings."
    )
