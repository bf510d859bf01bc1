"""The public API is what __all__ says, and everything in it exists."""

import streams


def test_all_exports_exist_once() -> None:
    for name in streams.__all__:
        assert hasattr(streams, name), name
    assert len(set(streams.__all__)) == len(streams.__all__)


def test_no_private_names_exported() -> None:
    assert all(not name.startswith("_") or name == "__version__" for name in streams.__all__)
