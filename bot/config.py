"""Settings: environment variables prefixed ``BIZBOT_``, or an optional ``bizbot.toml``.

Every field here is documented in docs/OPERATIONS.md; a test fails when one is missing there.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

TICKET_SLA = r"^\s*((urgent|high|normal|low)\s*=\s*[\d.]+\s*/\s*[\d.]+\s*(,\s*|$))*$"


class Settings(BaseSettings):
    """Everything an operator can set."""

    model_config = SettingsConfigDict(
        env_prefix="BIZBOT_", toml_file="bizbot.toml", extra="ignore", frozen=True
    )

    database_url: SecretStr = SecretStr("sqlite:///var/bizbot.db")
    db_pool_size: int = Field(default=10, ge=1, le=100)
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str = ""
    local_login: bool = False  # "sign in as anyone" in the web chat, for make run only
    demo: bool = True
    log_json: bool = False
    log_level: str = "INFO"
    workers: int = Field(default=4, ge=1, le=64)
    inbox_batch: int = Field(default=64, ge=1, le=1000)
    poll_interval: float = Field(default=1.0, gt=0, le=60)
    outbox_max_attempts: int = Field(default=8, ge=1, le=100)
    outbox_lease_seconds: float = Field(default=30.0, gt=0)
    outbox_concurrency: int = Field(default=64, ge=1, le=1000)
    retention_days: int = Field(default=30, ge=1)
    dead_row_retention_days: int = Field(default=30, ge=1)
    timer_max_attempts: int = Field(default=5, ge=1, le=20)
    flow_max_attempts: int = Field(default=5, ge=1, le=20)  # then the event is parked
    flow_poll_seconds: float = Field(default=5.0, gt=0, le=300)  # backstop: events from elsewhere
    invite_ttl_hours: int = Field(default=168, ge=1)
    login_link_ttl_minutes: int = Field(default=15, ge=1)
    web_session_days: int = Field(default=30, ge=1)
    action_ttl_hours: int = Field(default=72, ge=1)
    guest_invite_days: int = Field(default=7, ge=1)
    guest_commands_per_minute: int = Field(default=20, ge=1)
    guest_relay_after_hours: bool = False
    stranger_events_per_minute: int = Field(default=10, ge=1)
    crash_at: str = ""
    console_files_dir: str = "bizbot-files"  # where `bizbot console` writes the files it receives
    # crm
    crm_stages: str = "lead:10,qualified:30,proposal:50,negotiation:70,won:100,lost:0"
    crm_deal_idle_days: int = Field(default=7, ge=1, le=365)
    crm_ticket_sla: str = Field(
        default="urgent=1/4,high=2/8,normal=4/24,low=8/40", pattern=TICKET_SLA
    )  # checked in full (response <= resolution) when the runtime is built
    crm_service_department: str = "Service"
    # slack
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    # dingtalk
    dingtalk_app_key: str = ""
    dingtalk_app_secret: SecretStr | None = None
    dingtalk_robot_code: str = ""
    dingtalk_api_url: str = "https://api.dingtalk.com"
    dingtalk_stream: bool = True  # HTTP callbacks (BIZBOT_DINGTALK_STREAM=0) are opt-in
    dingtalk_corp_id: str = ""
    # wecom
    wecom_corp_id: str = ""
    wecom_agent_id: str = ""
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None
    wecom_encoding_aes_key: SecretStr | None = None
    wecom_api_url: str = "https://qyapi.weixin.qq.com/cgi-bin"
    # telegram
    telegram_bot_token: SecretStr | None = None
    telegram_secret_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_polling: bool = False
    telegram_bot_username: str = ""
    telegram_staff_group: str = ""  # a supergroup with topics enabled: deal rooms are its topics

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Constructor arguments win, then the environment, then ``bizbot.toml``."""
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    def base_url(self) -> str:
        """Where people reach the web chat."""
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"
