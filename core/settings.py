"""Settings from the environment (and an optional `.env`), one object built per entry point.

Names are the seed's (`DATABASE_URL`, `REDIS_HOST`, `BOT_POOL_ID`, ...) plus ours
(`REDIS_PORT`, `REDIS_PASSWORD`, `TELEGRAM_API_BASE`, `TOKEN_ENCRYPTION_KEY`,
`TOKEN_FINGERPRINT_KEY`, `POOL_SIZE`, ...).
Every setting is documented in `.env.example`.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.crypto import fingerprint_key_problem, split_keys

SLOT_PREFIX = "booking-bot-pool-"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # PostgreSQL
    database_url: SecretStr = SecretStr("postgresql://booking_user@127.0.0.1:5432/booking_saas")
    postgres_password: SecretStr | None = None
    db_pool_min_size: int = Field(1, ge=0)
    db_pool_max_size: int = Field(5, ge=1)

    # Redis
    redis_host: str = "127.0.0.1"
    redis_port: int = Field(6379, ge=1, le=65535)
    # The service's ACL user (a deployment: booking_pool, booking_sales, booking_master);
    # unset: the `default` user (a developer machine, where it is the admin).
    redis_username: str | None = None
    redis_password: SecretStr | None = None
    redis_db: int = Field(0, ge=0)
    # Seconds an unfinished conversation (FSM state and data of tenant bots and the Sales Bot)
    # is kept after its last step; then it expires, so abandoned ones cannot fill Redis.
    fsm_ttl: int = Field(86400, ge=60)
    # The Master alerts when Redis uses more than this share of its maxmemory.
    redis_memory_alert_threshold: float = Field(0.8, gt=0, le=1)

    # Telegram
    telegram_api_base: str = "https://api.telegram.org"
    bot_token_sales: SecretStr | None = None
    bot_token_master: SecretStr | None = None
    admin_ids_master: str = ""

    # YooKassa
    yookassa_shop_id: str = ""
    yookassa_secret_key: SecretStr | None = None
    yookassa_api_url: str = "https://api.yookassa.ru/v3"
    yookassa_timeout: float = Field(10.0, gt=0)
    yookassa_return_url: str = ""
    # Comma-separated networks allowed to send notifications; empty = YooKassa's own networks.
    yookassa_trusted_networks: str = ""

    # The Sales service: webhook endpoint, background loops, subscriptions
    sales_webhook_host: str = "127.0.0.1"
    sales_webhook_port: int = Field(8080, ge=0, le=65535)
    sales_webhook_path: str = "/yookassa/webhook"
    sales_webhook_trusted_proxies: str = ""
    payment_poll_interval: float = Field(10.0, gt=0)
    order_sweep_interval: float = Field(2.0, gt=0)
    # The reconciliation pass (sales/reconcile.py): running tenants that may not run, dead-end
    # and unpaid orders
    reconcile_interval: float = Field(60.0, gt=0)
    order_unpaid_hours: float = Field(24.0, gt=0)
    # Abuse limits of the Sales Bot, per user: orders (each makes a YooKassa payment) per
    # minute, orders waiting for payment at once, and updates per window
    sales_orders_per_minute: int = Field(10, ge=0)
    sales_max_unpaid_orders: int = Field(3, ge=1)
    sales_ratelimit_max_events: int = Field(30, ge=0)
    sales_ratelimit_window: float = Field(10.0, gt=0)
    subscription_check_interval: float = Field(300.0, gt=0)
    subscription_grace_days: float = Field(3.0, ge=0)
    subscription_archive_days: float = Field(90.0, ge=0)
    activation_attempts: int = Field(3, ge=1)
    # Seconds between checks that every running tenant's Redis user exists (Sales restores it)
    tenant_acl_check_interval: float = Field(10.0, gt=0)
    # Retention (Sales): archived tenants deleted, history pruned by age (sales/retention.py)
    retention_check_interval: float = Field(3600.0, gt=0)
    archive_notice_days: float = Field(7.0, ge=0)
    activation_history_retention_days: float = Field(180.0, gt=0)
    alerts_retention_days: float = Field(90.0, gt=0)
    abandoned_order_retention_days: float = Field(30.0, gt=0)
    buyer_notices_retention_days: float = Field(30.0, gt=0)

    # Secrets at rest: a comma-separated list of Fernet keys (the first encrypts, all decrypt),
    # and the key of token fingerprints (required once the list has two or more keys)
    token_encryption_key: SecretStr | None = None
    token_fingerprint_key: SecretStr | None = Field(None, validate_default=True)

    # The pool
    bot_pool_id: int | None = Field(None, ge=1)
    pool_size: int = Field(10, ge=1)
    heartbeat_interval: float = Field(5.0, gt=0)
    heartbeat_stale_after: float = Field(20.0, gt=0)
    config_check_interval: float = Field(5.0, gt=0)
    slot_reservation_timeout: float = Field(120.0, gt=0)
    activation_timeout: float = Field(30.0, gt=0)
    polling_timeout: int = Field(25, ge=0, le=50)
    # Fencing: an active worker re-checks its open assignment in PostgreSQL every this many
    # heartbeat intervals, and stops a tenant whose assignment was closed elsewhere.
    fencing_every: int = Field(3, ge=1)
    # Socket timeout of the worker's heartbeat connection (separate from its blocking one).
    heartbeat_timeout: float = Field(5.0, gt=0)
    # Consecutive failed getUpdates before the slot's status (and the Master) shows the error.
    polling_error_threshold: int = Field(3, ge=1)
    # A resume that fails (e.g. the tenant's schema) is retried with a growing pause up to this.
    resume_backoff_max: float = Field(300.0, gt=0)
    # A slot closes a PostgreSQL connection left idle this long: a waiting slot holds none.
    slot_db_idle: float = Field(30.0, gt=0)
    # The spawner (`booking-pool-spawner`) forks slots from one preloaded process. Its unix socket
    # (a private directory of the pool's account; the slots' lock files live beside it). Empty:
    # no spawner, each slot program runs its slot itself. Read by the spawner and the launcher.
    pool_spawner_socket: str = ""
    # How long a launcher waits for the spawner (e.g. still importing) before running in-process.
    pool_spawner_wait: float = Field(30.0, ge=0)

    # Master Bot, alerts and metrics
    master_metrics_host: str = "127.0.0.1"
    master_metrics_port: int = Field(9108, ge=0, le=65535)
    alert_interval: float = Field(30.0, gt=0)
    pool_alert_threshold: float = Field(0.8, gt=0, le=1)
    # An alert no admin could receive is retried each ALERT_INTERVAL this many times, then dropped
    alert_delivery_attempts: int = Field(120, ge=1)
    pool_samples_retention_days: float = Field(30.0, gt=0)

    # Growing the pool through supervisor's XML-RPC (empty URL: growing is off)
    supervisor_url: str = ""
    supervisor_programs_dir: str = ""
    supervisor_log_dir: str = "/var/log/booking"
    # The account new slots run as (supervisord runs as root in a deployment); empty = our own.
    supervisor_program_user: str = ""
    # Their working directory (a deployment's path to the current release); empty = the code's.
    supervisor_program_dir: str = ""
    pool_max_size: int = Field(50, ge=1)
    pool_min_free: int = Field(1, ge=0)
    pool_grow_step: int = Field(2, ge=1)
    pool_autogrow: bool = True

    # The tenant booking bot
    reminder_check_interval: float = Field(30.0, gt=0)
    ratelimit_max_events: int = Field(20, ge=0)
    ratelimit_window: float = Field(10.0, gt=0)
    # Tests and `make demo-keep` only: a file that sets "now" for tenant bots and for the Sales
    # subscription and retention checks (see bots/clock.py). Never in production.
    booking_clock_file: str | None = None

    # Logging
    log_level: str = "INFO"
    log_syslog: bool = False
    log_syslog_address: str = "/dev/log"

    @field_validator("telegram_api_base", "yookassa_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("token_fingerprint_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        return None if value in ("", None) else value

    @field_validator("token_fingerprint_key")
    @classmethod
    def _fingerprint_key_when_rotating(cls, value: SecretStr | None, info: ValidationInfo):
        # The message names variables only; pydantic adds this field's input, None here.
        encryption_key = info.data.get("token_encryption_key")
        count = len(split_keys(encryption_key.get_secret_value())) if encryption_key else 0
        problem = fingerprint_key_problem(count, value.get_secret_value() if value else None)
        if problem:
            raise ValueError(problem)
        return value

    @property
    def dsn(self) -> str:
        """The DSN for asyncpg, with `POSTGRES_PASSWORD` filled in when the URL has none."""
        url = self.database_url.get_secret_value()
        if self.postgres_password is None:
            return url
        parts = urlsplit(url)
        if parts.password or "@" not in parts.netloc:
            return url
        userinfo, hostinfo = parts.netloc.rsplit("@", 1)
        secret = quote(self.postgres_password.get_secret_value(), safe="")
        return urlunsplit(parts._replace(netloc=f"{userinfo}:{secret}@{hostinfo}"))

    @property
    def slot_id(self) -> str:
        if self.bot_pool_id is None:
            raise ValueError(
                "BOT_POOL_ID is not set: a pool worker needs its slot number (1, 2, …)"
            )
        return slot_id(self.bot_pool_id)

    @property
    def master_admin_ids(self) -> list[int]:
        return [int(x) for x in self.admin_ids_master.replace(" ", "").split(",") if x]


def slot_id(pool_id: int) -> str:
    return f"{SLOT_PREFIX}{pool_id}"


def parse_slot(value: str | int) -> tuple[str, int]:
    """Accept `3`, `"3"` or `"booking-bot-pool-3"`; return (slot id, pool id)."""
    text = str(value).strip()
    number = text.removeprefix(SLOT_PREFIX)
    if not number.isdigit() or int(number) < 1:
        raise ValueError(
            f"bad slot {text!r}: expected a number from 1 or a name like {SLOT_PREFIX}3"
        )
    return slot_id(int(number)), int(number)
