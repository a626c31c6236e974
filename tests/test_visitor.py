"""Who a visitor is, for the runs-per-hour limit: signed-in name, else network address, else session."""
from __future__ import annotations

from lib.ui.visitor import address_from


def test_the_address_the_nearest_proxy_saw_wins():
    # entries on the left are whatever the browser sent (spoofable); the proxy appends the real peer last
    assert address_from("1.2.3.4, 10.0.0.7", "172.17.0.1") == "10.0.0.7"
    assert address_from(" 203.0.113.9 ", None) == "203.0.113.9"


def test_without_a_forwarded_header_the_peer_address_counts():
    assert address_from(None, "192.0.2.10") == "192.0.2.10"
    assert address_from(" , ", "192.0.2.10") == "192.0.2.10"


def test_nothing_known_gives_none():
    assert address_from(None, None) is None and address_from("", " ") is None


def test_visitor_ids_by_name_address_and_session(monkeypatch):
    from lib.ui import visitor

    assert visitor.visitor_id(" @Alice ") == "user:alice"
    monkeypatch.setattr(visitor, "_address", lambda: "198.51.100.4")
    first, again = visitor.visitor_id(), visitor.visitor_id()
    assert first == again and first.startswith("addr:") and "198.51.100.4" not in first
    monkeypatch.setattr(visitor, "_address", lambda: "198.51.100.5")
    assert visitor.visitor_id() != first
