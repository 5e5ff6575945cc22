"""The OpenAPI cross-check itself: available here, and able to catch a body that breaks the schema."""

from __future__ import annotations

import pytest
from sdk_support import assert_matches_spec, spec_checks_unavailable


def test_openapi_checks_are_available():
    reason = spec_checks_unavailable()
    if reason:
        pytest.skip(f"OpenAPI response checks are off: {reason}")


def test_openapi_check_catches_a_bad_body():
    if spec_checks_unavailable():
        pytest.skip("OpenAPI response checks are off")
    assert_matches_spec("/v1/voices/settings/default", "get", {"stability": 0.5})
    with pytest.raises(AssertionError, match="has_more"):
        assert_matches_spec("/v2/voices", "get", {"voices": [], "total_count": 0})
    with pytest.raises(AssertionError, match="voice_id"):
        assert_matches_spec(
            "/v1/voices/{voice_id}", "get", {"name": "x", "category": "premade", "labels": {}}
        )
