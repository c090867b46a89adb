"""What a tenant bot knows about its tenant; injected into handlers as `tenant`."""

from dataclasses import dataclass


@dataclass(frozen=True)
class TenantContext:
    client_id: str
    company_name: str
    admin_telegram_id: int
