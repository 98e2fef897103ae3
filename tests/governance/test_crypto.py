"""Field encryption: round trips, tamper detection, key rings across a rotation, blind indexes, key files."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from cxloop.config import load_settings
from cxloop.errors import ConfigurationError
from cxloop.governance.crypto import (
    DecryptionError,
    KeyRing,
    encode_key,
    generate_key,
    key_file_path,
    load_key_ring,
    parse_keys,
)


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing([generate_key()])


def test_round_trip_keeps_korean_text_and_never_repeats_a_ciphertext(ring: KeyRing) -> None:
    text = "김민수 010-1234-5678 minsu.kim@example.com"
    first, second = ring.encrypt(text), ring.encrypt(text)
    assert first != second  # a fresh nonce each time
    assert first.startswith(f"cx1:{ring.current_key_id}:")
    assert "010" not in first
    assert "minsu" not in first
    assert ring.decrypt(first) == ring.decrypt(second) == text
    assert ring.decrypt(ring.encrypt("")) == ""


@pytest.mark.parametrize("position", [14, 30, -2])
def test_a_changed_character_is_detected(ring: KeyRing, position: int) -> None:
    token = ring.encrypt("환불 요청 고객 메모")
    flipped = "A" if token[position] != "A" else "B"
    tampered = token[:position] + flipped + token[position + 1 :] if position >= 0 else token[:-2] + flipped + token[-1]
    with pytest.raises(DecryptionError, match="failed authentication"):
        ring.decrypt(tampered)


def test_truncated_and_relabelled_values_are_refused(ring: KeyRing) -> None:
    token = ring.encrypt("secret")
    with pytest.raises(DecryptionError):
        ring.decrypt(token[:-6])
    other = KeyRing([generate_key(), *ring.keys])
    # The same body under another key id: the key id is authenticated, so this cannot pass.
    relabelled = token.replace(ring.current_key_id, other.current_key_id, 1)
    with pytest.raises(DecryptionError):
        other.decrypt(relabelled)
    with pytest.raises(DecryptionError, match="not a cxloop ciphertext"):
        ring.decrypt("plain text")


def test_a_rotated_ring_reads_old_values_and_seals_with_the_new_key(ring: KeyRing) -> None:
    old_value = ring.encrypt("before rotation")
    rotated = KeyRing([generate_key(), *ring.keys])
    assert rotated.decrypt(old_value) == "before rotation"
    assert KeyRing.key_id_of(rotated.encrypt("after")) == rotated.current_key_id != ring.current_key_id
    retired = KeyRing(rotated.keys[:1])
    with pytest.raises(DecryptionError, match="not in the key ring"):
        retired.decrypt(old_value)


def test_blind_index_is_deterministic_keyed_and_lists_every_key(ring: KeyRing) -> None:
    index = ring.blind_index("+821012345678")
    assert index == ring.blind_index("+821012345678")
    assert index != ring.blind_index("+821012345679")
    assert "1012345678" not in index
    assert index != KeyRing([generate_key()]).blind_index("+821012345678")
    rotated = KeyRing([generate_key(), *ring.keys])
    assert index in rotated.blind_index_candidates("+821012345678")
    assert rotated.blind_index("+821012345678") != index


def test_parse_keys_names_the_bad_key() -> None:
    good = encode_key(generate_key())
    assert len(parse_keys(f"{good}, {encode_key(generate_key())}", "env")) == 2
    with pytest.raises(ConfigurationError, match="key 2 is not base64"):
        parse_keys(f"{good},not base64!", "env")
    with pytest.raises(ConfigurationError, match="key 1 decodes to 16 bytes"):
        parse_keys(base64.b64encode(b"x" * 16).decode(), "env")
    with pytest.raises(ConfigurationError, match="holds no key"):
        parse_keys(" # only a comment", "file")


def test_key_file_is_created_private_on_first_use_and_reread_after_change(tmp_path: Path) -> None:
    settings = load_settings(environment="test", data_dir=tmp_path)
    ring = load_key_ring(settings)
    path = key_file_path(settings)
    assert path == tmp_path / "keys" / "cxloop.keys"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key_ring(settings).current_key_id == ring.current_key_id
    newer = generate_key()
    path.write_text(f"{encode_key(newer)}\n{encode_key(ring.keys[0])}\n")
    assert load_key_ring(settings).key_ids == [KeyRing([newer]).current_key_id, ring.current_key_id]


def test_environment_keys_win_and_production_postgres_refuses_to_invent_one(tmp_path: Path) -> None:
    key = generate_key()
    settings = load_settings(environment="test", data_dir=tmp_path, encryption_key=encode_key(key))
    assert load_key_ring(settings).keys == [key]
    assert not key_file_path(settings).exists()
    production = load_settings(
        environment="production", data_dir=tmp_path, secret_key="x" * 40, database_url="postgresql://db/cx"
    )
    with pytest.raises(ConfigurationError, match="no encryption key"):
        load_key_ring(production)
