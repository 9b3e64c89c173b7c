"""The opaque global id of an entity (base64 of `Type:pk`): GraphQL's ids, also carried in webhook
payloads so a receiver can call either API with what it was sent."""

from __future__ import annotations

import base64


def global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")
