"""Production: refuses to start without a real secret key and encryption key."""

from config.settings.base import *  # noqa: F403
from config.settings.base import FIELD_ENCRYPTION_KEYS as _KEYS
from config.settings.base import SECRET_KEY as _SECRET_KEY

_missing = []
if not _SECRET_KEY or len(_SECRET_KEY) < 32:
    _missing.append("SECRET_KEY (at least 32 random characters)")
if not _KEYS:
    _missing.append("FIELD_ENCRYPTION_KEYS (comma list of Fernet keys, newest first)")
if _missing:
    raise SystemExit(
        "Shoplink will not start in production without: "
        + "; ".join(_missing)
        + '. Generate a Fernet key with: python -c "from cryptography.fernet import Fernet; '
        'print(Fernet.generate_key().decode())". See docs/configuration.md.'
    )

DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
