"""Every commerce limit, in one place: the API checks these, storage sizes its columns by them."""

from __future__ import annotations

from datetime import timedelta

MAX_LINE_QUANTITY = 99
"""Units of one SKU in one cart line (and in one order line): a cart is for shoppers, not wholesale."""
MAX_CART_LINES = 50
MAX_LINES_PER_CALL = 50
HOLD_MINUTES_MAX = 24 * 60

COMMISSION_RATE_BPS_MAX = 5000  # 50%: above that it is a resale, not a commission
RETURN_WINDOW_DAYS_MAX = 365
ATTRIBUTION_WINDOW_DAYS_MAX = 90
LOW_STOCK_THRESHOLD_MAX = 1_000_000
MERCHANT_NAME_MAX = 120
CANCEL_REASON_MAX = 500

IDEMPOTENCY_KEY_MAX = 255
ATTEMPT_LEASE = timedelta(seconds=30)
"""How long a `checkoutComplete` attempt owns its key; a retry after that takes it over (same
gateway idempotency key, so nothing is charged twice)."""
WAIT_FOR_ATTEMPT = timedelta(seconds=20)
"""How long a concurrent call with the same key waits for the first one's answer."""
