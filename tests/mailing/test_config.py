"""[mail] mass_rate_per_minute: a default, and a wrong value refused naming the key."""
from __future__ import annotations

import pytest

from crm_server.core.errors import ConfigError
from crm_server.mailing.sender import rate_per_run
from tests.conftest import make_settings


def test_the_rate_has_a_default_and_is_validated(tmp_path):
    assert make_settings(tmp_path).mail["mass_rate_per_minute"] == "60"
    assert rate_per_run(make_settings(tmp_path, CRM_MAIL_MASS_RATE_PER_MINUTE="5")) == 5
    for wrong in ("0", "abc", "100001"):
        with pytest.raises(ConfigError) as caught:
            make_settings(tmp_path, CRM_MAIL_MASS_RATE_PER_MINUTE=wrong)
        assert "mass_rate_per_minute" in caught.value.message
