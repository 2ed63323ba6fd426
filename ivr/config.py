"""Settings, read once from the environment into a frozen value; nothing else reads os.environ."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The national helpline of SAMHSA: free, confidential, 24/7, English and Spanish. The default
#: backup line, so a caller always reaches a person even before the center sets its own partner.
NATIONAL_HELPLINE = "+18006624357"


class ConfigError(Exception):
    """The helpline refuses to start rather than run unsafely (e.g. production with no token)."""


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    twilio_auth_token: str = ""
    shared_keys: dict = field(default_factory=dict)   # SharedKey id -> secret
    database_url: str = ""
    flows_dir: Path = ROOT / "flows"
    audio_dir: Path = ROOT / "audio"
    instance_dir: Path = ROOT / "instance"
    backup_line: str = NATIONAL_HELPLINE
    trust_proxy: bool = False
    caller_hash_key: str = ""
    flows_check_seconds: float = 2.0
    twilio_account_sid: str = ""
    #: The base of every REST request: Twilio's own, or any Twilio-compatible server (a simulator).
    twilio_api_url: str = "https://api.twilio.com"
    #: How Twilio reaches this helpline (https://host), for the URLs of legs it places by REST;
    #: taken from each webhook's own URL when unset (the `ivr` command needs it set).
    public_url: str = ""
    #: "json": one JSON object per log line, and a line per webhook (CallSid, route, step, status, ms).
    log_format: str = "text"
    #: Signs the staff pages' session cookies; a long random secret (IVR_SECRET_KEY) in production.
    secret_key: str = ""
    #: A staff session ends after this many minutes without a page being opened.
    staff_session_minutes: int = 60
    #: Where the staff login's rate limits are counted: memory:// for one instance; a shared store
    #: (redis://host:6379) when several instances serve the pages, so each does not count alone.
    rate_limit_storage: str = "memory://"
    #: A voicemail or callback still owed after this many minutes is texted to the leads.
    escalate_minutes: int = 30

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def with_overrides(self, overrides: dict | None) -> "Settings":
        return replace(self, **(overrides or {}))


def _local_secret(instance_dir: Path, name: str) -> str:
    """A secret made once for this machine, for development only: kept in instance/."""
    path = instance_dir / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        instance_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_hex(16)
        try:
            with open(path, "x") as out:       # 'x': two workers starting at once agree on one
                out.write(value + "\n")
            os.chmod(path, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        return value


def parse_shared_keys(text: str) -> dict:
    """'id1=secret1,id2=secret2' -> {'id1': 'secret1', 'id2': 'secret2'}."""
    keys = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key_id, sep, secret = part.partition("=")
        if not sep or not key_id.strip() or not secret.strip():
            raise ConfigError("TWILIO_WEBHOOK_SHARED_KEYS must look like 'keyid=secret,keyid2=secret2'")
        keys[key_id.strip()] = secret.strip()
    return keys


def finish(settings: Settings) -> Settings:
    """Fill in what development may make up, and refuse what production may not lack."""
    if settings.log_format not in ("text", "json"):
        raise ConfigError(f"IVR_LOG_FORMAT is {settings.log_format!r}: use text or json")
    if settings.environment not in ("development", "production"):
        raise ConfigError(f"IVR_ENV is {settings.environment!r}: use development or production")
    instance = Path(settings.instance_dir)
    changes = {"flows_dir": Path(settings.flows_dir), "audio_dir": Path(settings.audio_dir), "instance_dir": instance}
    if not settings.database_url:
        instance.mkdir(parents=True, exist_ok=True)
        changes["database_url"] = f"sqlite:///{instance / 'helpline.db'}"
    if settings.is_production:
        if not settings.twilio_auth_token:
            raise ConfigError("IVR_ENV=production needs TWILIO_AUTH_TOKEN: every webhook is checked "
                              "against it, and there is no way to switch that off")
        if not settings.caller_hash_key:
            raise ConfigError("IVR_ENV=production needs IVR_CALLER_HASH_KEY (a long random secret): "
                              "it protects caller numbers in the records")
        if not settings.secret_key:
            raise ConfigError("IVR_ENV=production needs IVR_SECRET_KEY (a long random secret): "
                              "it signs the staff pages' logins")
        if not settings.twilio_account_sid:
            raise ConfigError("IVR_ENV=production needs TWILIO_ACCOUNT_SID: professionals are called "
                              "through Twilio's REST API, and without it nobody could be reached")
    else:
        if not settings.twilio_auth_token:
            changes["twilio_auth_token"] = _local_secret(instance, "dev-twilio-token")
        if not settings.caller_hash_key:
            changes["caller_hash_key"] = _local_secret(instance, "dev-caller-hash-key")
        if not settings.secret_key:
            changes["secret_key"] = _local_secret(instance, "dev-secret-key")
    if settings.staff_session_minutes < 1:
        raise ConfigError("IVR_STAFF_SESSION_MINUTES must be 1 or more")
    if settings.escalate_minutes < 1:
        raise ConfigError("IVR_ESCALATE_MINUTES must be 1 or more")
    return replace(settings, **changes)


def _whole_number(env, name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"{name} is {text!r}: use a whole number") from None


def from_environment(environ=None) -> Settings:
    env = os.environ if environ is None else environ
    defaults = Settings()
    settings = Settings(
        environment=env.get("IVR_ENV", "development").strip().lower(),
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", "").strip(),
        shared_keys=parse_shared_keys(env.get("TWILIO_WEBHOOK_SHARED_KEYS", "")),
        database_url=env.get("DATABASE_URL", "").strip(),
        flows_dir=Path(env.get("IVR_FLOWS_DIR", defaults.flows_dir)),
        audio_dir=Path(env.get("IVR_AUDIO_DIR", defaults.audio_dir)),
        instance_dir=Path(env.get("IVR_INSTANCE_DIR", defaults.instance_dir)),
        backup_line=env.get("IVR_BACKUP_LINE", NATIONAL_HELPLINE).strip(),
        trust_proxy=env.get("IVR_TRUST_PROXY", "").strip().lower() in ("1", "true", "yes"),
        caller_hash_key=env.get("IVR_CALLER_HASH_KEY", "").strip(),
        flows_check_seconds=float(env.get("IVR_FLOWS_CHECK_SECONDS", "2")),
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", "").strip(),
        twilio_api_url=env.get("IVR_TWILIO_API_URL", "").strip().rstrip("/") or defaults.twilio_api_url,
        public_url=env.get("IVR_PUBLIC_URL", "").strip().rstrip("/"),
        log_format=env.get("IVR_LOG_FORMAT", "text").strip().lower(),
        secret_key=env.get("IVR_SECRET_KEY", "").strip(),
        staff_session_minutes=_whole_number(env, "IVR_STAFF_SESSION_MINUTES", defaults.staff_session_minutes),
        rate_limit_storage=env.get("IVR_RATE_LIMIT_STORAGE", "").strip() or defaults.rate_limit_storage,
        escalate_minutes=_whole_number(env, "IVR_ESCALATE_MINUTES", defaults.escalate_minutes),
    )
    return settings
