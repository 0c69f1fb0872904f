"""Migrations match the models; production refuses to start without real secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_migrations_match_models():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _run_prod_check(extra_env):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS")}
    env.update(extra_env, DJANGO_SETTINGS_MODULE="config.settings.prod")
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_prod_refuses_to_start_without_secrets():
    result = _run_prod_check({})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_prod_starts_with_secrets():
    result = _run_prod_check(
        {
            "SECRET_KEY": "x" * 50,
            "FIELD_ENCRYPTION_KEYS": "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMTIzNDU=",
        }
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_setup_demo_is_idempotent():
    from django.contrib.auth import get_user_model

    from shoplink.projects.models import Membership

    call_command("setup_demo")
    call_command("setup_demo")
    user = get_user_model().objects.get(username="admin")
    assert user.check_password("shoplink-demo")
    assert Membership.objects.filter(user=user, role="admin").count() == 1
