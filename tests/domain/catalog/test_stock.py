"""Fast stock and price changes by SKU code, item by item, on an in-memory catalog."""

from __future__ import annotations

from shoppable.domain.catalog import stock
from shoppable.domain.catalog.availability import Availability, InventoryPolicy
from shoppable.domain.catalog.drafts import ProductDraft, SkuDraft
from shoppable.domain.catalog.money import Money
from shoppable.domain.catalog.stock import InventoryChange, ItemStatus, PriceChange
from shoppable.domain.catalog.sync import plan_sync
from shoppable.domain.errors import ErrorCode
from shoppable.domain.identity.records import Merchant
from tests.domain.in_memory import NOW, InMemoryUnitOfWork

EUR = "EUR"


async def shop() -> tuple[InMemoryUnitOfWork, Merchant]:
    """TEE-S (10) and TEE-M (0) of one product, MUG (not tracked), BACK (0, sold on backorder)."""
    uow = InMemoryUnitOfWork()
    merchant = Merchant(1, "northwind", "Northwind", EUR, 3, NOW)
    uow.identity.merchants[merchant.id] = merchant

    def sku(code: str, quantity: int | None, compare_at: Money | None = None) -> SkuDraft:
        return SkuDraft(code, Money(2000, EUR), compare_at, quantity, options=(("Size", code),))

    drafts = [
        ProductDraft("tee", "Tee", (sku("TEE-S", 10, Money(3000, EUR)), sku("TEE-M", 0))),
        ProductDraft("mug", "Mug", (SkuDraft("MUG", Money(800, EUR)),)),
        ProductDraft("back", "Back", (SkuDraft("BACK", Money(500, EUR), quantity=0, inventory_policy=InventoryPolicy.CONTINUE),)),
    ]  # fmt: skip
    await uow.catalog.write_products(merchant.id, plan_sync(drafts, {}, {}, 3).writes)
    await uow.commit()
    return uow, merchant


def sku_of(uow: InMemoryUnitOfWork, code: str) -> tuple[int | None, Availability, Availability]:
    found = next(s for s in uow.catalog.skus.values() if s.sku == code)
    return found.quantity, found.availability, uow.catalog.products[found.product_id].availability


async def test_set_and_adjust_recompute_availability_of_skus_and_products() -> None:
    uow, merchant = await shop()
    results = await stock.apply_inventory(
        uow, merchant, [InventoryChange("TEE-S", quantity=0), InventoryChange("TEE-M", delta=2)], NOW
    )
    assert [(r.status, r.quantity, r.availability) for r in results] == [
        (ItemStatus.UPDATED, 0, Availability.OUT_OF_STOCK),
        (ItemStatus.UPDATED, 2, Availability.LOW_STOCK),
    ]
    assert sku_of(uow, "TEE-S") == (0, Availability.OUT_OF_STOCK, Availability.LOW_STOCK)
    assert uow.writing and uow.commits == 1  # the caller commits (with its idempotency record)


async def test_guards_refuse_item_by_item() -> None:
    uow, merchant = await shop()
    results = await stock.apply_inventory(
        uow,
        merchant,
        [
            InventoryChange("TEE-S", delta=-11),  # would go below zero
            InventoryChange("TEE-M", quantity=5, expected_quantity=3),  # someone changed it meanwhile
            InventoryChange("MUG", delta=1),  # stock of the mug is not tracked
            InventoryChange("NOPE", quantity=1),
            InventoryChange("TEE-S", delta=-10),  # applied: the refusals above stopped nothing
        ],
        NOW,
    )
    assert [(r.status, r.code) for r in results] == [
        (ItemStatus.CONFLICT, ErrorCode.CONFLICT),
        (ItemStatus.CONFLICT, ErrorCode.CONFLICT),
        (ItemStatus.CONFLICT, ErrorCode.CONFLICT),
        (ItemStatus.NOT_FOUND, ErrorCode.NOT_FOUND),
        (ItemStatus.UPDATED, None),
    ]
    assert results[0].message == "Not enough stock for this adjustment."
    assert results[1].message == "Stock is no longer the expected quantity."
    assert sku_of(uow, "TEE-M")[0] == 0 and sku_of(uow, "TEE-S")[0] == 0


async def test_the_expected_quantity_guards_a_set_and_backorder_skus_may_go_negative() -> None:
    uow, merchant = await shop()
    results = await stock.apply_inventory(
        uow,
        merchant,
        [InventoryChange("TEE-M", quantity=4, expected_quantity=0), InventoryChange("BACK", delta=-2)],
        NOW,
    )
    assert [(r.status, r.quantity, r.availability) for r in results] == [
        (ItemStatus.UPDATED, 4, Availability.IN_STOCK),
        (ItemStatus.UPDATED, -2, Availability.BACKORDER),
    ]


async def test_prices_keep_the_sale_while_below_it_and_stay_in_the_merchants_currency() -> None:
    uow, merchant = await shop()
    results = await stock.apply_prices(
        uow,
        merchant,
        [
            PriceChange("TEE-S", Money(1800, EUR), None, clear_compare_at=False),  # the sale goes on
            PriceChange("TEE-M", Money(1500, EUR), Money(2000, EUR), clear_compare_at=False),
            PriceChange("MUG", Money(800, "USD"), None, clear_compare_at=False),
            PriceChange("BACK", Money(500, EUR), None, clear_compare_at=False),
            PriceChange("NOPE", Money(1, EUR), None, clear_compare_at=False),
        ],
    )
    assert [(r.status, r.compare_at_price) for r in results] == [
        (ItemStatus.UPDATED, Money(3000, EUR)),
        (ItemStatus.UPDATED, Money(2000, EUR)),
        (ItemStatus.INVALID, None),  # the status says what the code says
        (ItemStatus.UNCHANGED, None),
        (ItemStatus.NOT_FOUND, None),
    ]
    assert results[2].code is ErrorCode.INVALID and "sells in EUR" in (results[2].message or "")
    assert "import" not in (results[2].message or "")  # one rule, not a pointer to another path
    ended = await stock.apply_prices(uow, merchant, [PriceChange("TEE-S", Money(3500, EUR), None, False)])
    assert ended[0].compare_at_price is None  # a price at or above the old one ends the sale
    cleared = await stock.apply_prices(uow, merchant, [PriceChange("TEE-M", Money(1500, EUR), None, True)])
    assert cleared[0].status is ItemStatus.UPDATED and cleared[0].compare_at_price is None


def test_bodies_are_checked_whole_with_a_path_for_every_problem() -> None:
    changes, errors = stock.parse_inventory(
        {
            "items": [
                {"sku": "A", "quantity": 1, "delta": 1},
                {"sku": "B", "delta": True},
                {"sku": "C", "quantity": 2},
            ]
        }
    )
    assert [c.sku for c in changes] == ["C"]
    assert [e.field for e in errors] == [("items", 0), ("items", 1, "delta")]
    _, duplicate = stock.parse_inventory({"items": [{"sku": "A", "delta": 1}, {"sku": " A ", "delta": 1}]})
    assert duplicate[0].code is ErrorCode.DUPLICATE and duplicate[0].field == ("items", 1, "sku")
    prices, price_errors = stock.parse_prices(
        {"items": [
            {"sku": "A", "price": {"amount": "1", "currencyCode": "EUR"}, "compareAtPrice": None},
            {"sku": "B", "price": {"amount": "5", "currencyCode": "EUR"}, "compareAtPrice": {"amount": "4", "currencyCode": "EUR"}},
            {"sku": "C", "price": {"amount": "1", "currencyCode": "XXX"}},
        ]}
    )  # fmt: skip
    assert prices == [PriceChange("A", Money(100, EUR), None, clear_compare_at=True)]
    assert [e.field for e in price_errors] == [
        ("items", 1, "compareAtPrice"),
        ("items", 2, "price", "currencyCode"),
    ]
    assert stock.parse_inventory({"items": []})[1][0].code is ErrorCode.REQUIRED
