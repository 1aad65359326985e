from __future__ import annotations

import pytest

from event_processors.masking import EMAIL_MASK, MASK, mask, mask_text


@pytest.mark.parametrize(
    "text",
    ["jane.doe@example.com", "write to J.Doe+orders@mail.example.co.uk now", "a@b.io,c@d.io"],
)
def test_email_addresses_are_masked_anywhere_in_text(text: str) -> None:
    assert "@" not in mask_text(text)


def test_personal_keys_are_masked_at_any_depth() -> None:
    record = {
        "message": "ok",
        "detail": {"firstName": "Alice", "last_name": "Smith", "items": [{"shippingAddress": {"city": "X"}}]},
    }

    masked = mask(record)

    assert masked["detail"]["firstName"] == MASK
    assert masked["detail"]["last_name"] == MASK
    assert masked["detail"]["items"][0]["shippingAddress"] == MASK
    assert masked["message"] == "ok"


def test_powertools_structural_fields_are_left_readable() -> None:
    record = {"service": "orders@edge", "function_name": "ecommerce-dev-processor", "level": "INFO"}

    assert mask(record) == record


def test_values_that_are_not_personal_pass_through_unchanged() -> None:
    record = {"orderId": "ord-1", "amount": 1500.0, "flags": [True, None], "note": f"mail {EMAIL_MASK}"}

    assert mask(record) == record
