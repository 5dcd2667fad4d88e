from __future__ import annotations

from pathlib import Path

from assetgen.core.canonical import (
    canonical_json,
    readable_json,
    sha256_bytes,
    sha256_file,
    tagged_hash,
)


def test_canonical_json_is_key_order_independent() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": 3}]}) == \
        canonical_json({"a": [1, {"c": 3, "d": 2}], "b": 1})
    assert canonical_json({"é": "ü"}) == '{"é":"ü"}'


def test_tagged_hash_names_its_algorithm_and_changes_with_content() -> None:
    first = tagged_hash({"prompt": "a"})
    assert first.startswith("sha256:") and len(first) == len("sha256:") + 64
    assert first == tagged_hash({"prompt": "a"})
    assert first != tagged_hash({"prompt": "b"})


def test_readable_json_is_sorted_indented_with_newline() -> None:
    assert readable_json({"b": 1, "a": 2}) == '{\n  "a": 2,\n  "b": 1\n}\n'


def test_file_and_bytes_hashes_agree(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    data = b"x" * (3 << 20)
    path.write_bytes(data)
    assert sha256_file(path) == sha256_bytes(data)
