"""Recognising a feed's format from its head, and parsing any feed through one entry point."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoppable.domain.catalog.formats import (
    FeedError,
    FeedFormat,
    ParsedProduct,
    RowError,
    detect_format,
    parse_feed,
    parse_google_tsv,
    parse_jsonl,
    parse_shopify_csv,
)
from shoppable.domain.catalog.formats.detect import HEAD_BYTES

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'<?xml version="1.0"?><rss>', FeedFormat.GOOGLE_XML),
        (b"\xef\xbb\xbf  <rss version='2.0'>", FeedFormat.GOOGLE_XML),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'>", FeedFormat.GOOGLE_XML),
        (b'\n\n{"handle": "a"}\n', FeedFormat.JSONL),
        (b'\xef\xbb\xbf{"handle": "a"}', FeedFormat.JSONL),
        (b"id\ttitle\tprice\tavailability\nA\tLamp\t1.00 USD\tin_stock\n", FeedFormat.GOOGLE_TSV),
        (b"g:id\tg:title\tg:price\r\n", FeedFormat.GOOGLE_TSV),
        (b"Handle,Title,Body (HTML),Variant Price\r\n", FeedFormat.SHOPIFY_CSV),
        (b"\xef\xbb\xbfTitle,URL handle,Description,Price\n", FeedFormat.SHOPIFY_CSV),
        (b'"Handle","Title"\n', FeedFormat.SHOPIFY_CSV),
    ],
)
def test_detect_format(head, expected):
    assert detect_format(head) is expected


@pytest.mark.parametrize("head", [b"", b"   \n", b"name,price\nlamp,1\n", b"sku\tcost\n", b"\x00\x01\x02"])
def test_an_unrecognised_head_is_a_feed_error(head):
    with pytest.raises(FeedError, match="not recognised"):
        detect_format(head)


@pytest.mark.parametrize(
    ("name", "direct"),
    [
        ("northwind.jsonl", lambda s: parse_jsonl(s)),
        ("lumen-google.tsv", lambda s: parse_google_tsv(s)),
        ("atelier-shopify.csv", lambda s: parse_shopify_csv(s, currency="EUR")),
    ],
)
def test_parse_feed_detects_each_example_and_matches_its_parser(name, direct):
    path = EXAMPLES / name
    with path.open("rb") as stream:
        detected = list(parse_feed(stream, currency="EUR"))
    with path.open("rb") as stream:
        expected = list(direct(stream))
    assert detected == expected
    assert all(isinstance(item, ParsedProduct) for item in detected)


def test_an_explicit_format_is_used_as_given():
    data = b"id\ttitle\tprice\tavailability\nA\tLamp\t1.00 USD\tin_stock\n"
    [product] = parse_feed(io.BytesIO(data), "google_tsv")
    assert product.draft.handle == "a"
    with pytest.raises(FeedError, match="Unknown feed format"):
        parse_feed(io.BytesIO(data), "excel")


def test_the_currency_reaches_the_shopify_parser():
    data = b"Handle,Title,Variant Price\na,A,5.00\n"
    [product] = parse_feed(io.BytesIO(data), currency="SEK")
    assert product.draft.skus[0].price.currency == "SEK"


def test_a_feed_longer_than_the_detection_head_is_read_whole():
    # given a JSONL file several times the size of the head that detection reads
    lines = [
        json.dumps(
            {"handle": f"p-{i}", "title": f"Product {i}", "skus": [{"sku": f"S{i}", "price": "1.00 EUR"}]}
        )
        for i in range(3 * HEAD_BYTES // 80)
    ]
    data = ("\n".join(lines) + "\n").encode()
    assert len(data) > 2 * HEAD_BYTES
    # when parsed through detection
    items = list(parse_feed(io.BytesIO(data)))
    # then every line is a product, numbered as in the file
    assert len(items) == len(lines)
    assert items[-1].lines == (len(lines),)


def test_the_callers_stream_is_left_open():
    stream = io.BytesIO(b"Handle,Title,Variant Price\na,A,5.00\n")
    list(parse_feed(stream))
    assert not stream.closed


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.sampled_from([b"<rss>", b"{", b"id\ttitle\n", b"Handle,Title\n", b"\xef\xbb\xbf<"]).flatmap(
            lambda prefix: st.binary(max_size=200).map(lambda rest: prefix + rest)
        ),
    )
)
def test_arbitrary_bytes_raise_nothing_but_feed_error(data):
    with contextlib.suppress(FeedError):
        for item in parse_feed(io.BytesIO(data)):
            assert isinstance(item, (ParsedProduct, RowError))
