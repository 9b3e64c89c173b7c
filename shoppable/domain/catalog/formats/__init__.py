"""Streaming parsers for merchants' catalog feeds: our JSON Lines, Google Merchant Center, Shopify CSV.

Every parser takes a binary stream and yields `ParsedProduct | RowError` as it reads; whole-file
problems raise `FeedError`. See `assembly` for how rows are grouped into products.
"""

from shoppable.domain.catalog.formats.detect import detect_format, parse_feed
from shoppable.domain.catalog.formats.google import parse_google_tsv, parse_google_xml
from shoppable.domain.catalog.formats.jsonl import parse_jsonl
from shoppable.domain.catalog.formats.records import FeedError, FeedFormat, FeedItem, ParsedProduct, RowError
from shoppable.domain.catalog.formats.shopify import parse_shopify_csv

__all__ = [
    "FeedError",
    "FeedFormat",
    "FeedItem",
    "ParsedProduct",
    "RowError",
    "detect_format",
    "parse_feed",
    "parse_google_tsv",
    "parse_google_xml",
    "parse_jsonl",
    "parse_shopify_csv",
]
