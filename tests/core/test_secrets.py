from __future__ import annotations

from collections.abc import Iterable

import pytest

from assetgen.core import secrets
from assetgen.provenance.record import Record


def test_redact_masks_known_and_keyish_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-123456")
    # A credential-named variable counts only with a value shaped like a generated secret.
    monkeypatch.setenv("MY_PROVIDER_TOKEN", "tok-abcdef-0123456789")
    text = secrets.redact("key sk-secret-123456 and tok-abcdef-0123456789; "
                          "Authorization: Bearer xyz")
    assert "sk-secret" not in text and "tok-abcdef" not in text and "xyz" not in text
    assert text.count(secrets.MASK) == 3


def test_registered_key_variables_are_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODDLY_NAMED", "value-that-is-secret")
    assert "value-that-is-secret" in secrets.redact("value-that-is-secret")
    secrets.register_key_var("ODDLY_NAMED")
    assert "value-that-is-secret" not in secrets.redact("value-that-is-secret")


def test_sidecar_rendering_never_writes_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-leaky-key-999")
    record = Record(asset="a", file="a.png", sha256="0", bytes=1, width=1, height=1,
                    format="png", route="draft", model="m", prompt="sk-leaky-key-999",
                    quality="low", size="auto", spec_hash="sha256:0", created_at="now")
    assert b"sk-leaky-key-999" not in record.to_json()


def test_a_record_is_redacted_with_the_forms_of_its_secrets_made_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []
    real_forms = secrets._forms

    def counting(values: Iterable[str]) -> list[str]:
        made.append(1)
        return real_forms(values)

    monkeypatch.setattr(secrets, "_forms", counting)
    key = "sk-proj-abcdefghijklmnop123456"
    record = {"prompt": f"uses {key}", "notes": ["a", f"b {key}"], "asset": key,
              "usage": {"text": f"{key}!"}}
    redacted = secrets.redact_fields(record, {"asset"}, [key])
    assert redacted == {"prompt": "uses ***", "notes": ["a", "b ***"], "asset": key,
                        "usage": {"text": "***!"}}
    assert made == [1]  # not once per string: a build redacts three records per image
