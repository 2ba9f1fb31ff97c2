"""Settings: DOSECHECK_* variables, flags on top, and the combinations that cannot work."""

from __future__ import annotations

import pathlib

import pydantic
import pytest

from service.settings import Settings


def test_environment_variables_with_the_dosecheck_prefix_set_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOSECHECK_PORT", "6000")
    monkeypatch.setenv("DOSECHECK_WORKERS", "2")
    monkeypatch.setenv("DOSECHECK_KB_PATH", "/srv/kb")

    settings = Settings()

    assert (settings.port, settings.workers, str(settings.kb_path)) == (6000, 2, "/srv/kb")
    assert Settings(port=7000).port == 7000  # a flag wins over the environment


def test_the_cache_directory_is_the_users_unless_set_and_empty_means_none(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: pathlib.Path) -> None:
    monkeypatch.delenv("DOSECHECK_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert Settings().cache_dir == tmp_path / "dosecheck"
    monkeypatch.setenv("DOSECHECK_CACHE_DIR", "/var/cache/dosecheck")
    assert Settings().cache_dir == pathlib.Path("/var/cache/dosecheck")
    monkeypatch.setenv("DOSECHECK_CACHE_DIR", "")
    assert Settings().cache_dir is None


def test_workers_need_a_named_port() -> None:
    with pytest.raises(pydantic.ValidationError, match="port 0"):
        Settings(workers=2, port=0)


@pytest.mark.parametrize(("host", "address"), [("127.0.0.1", "127.0.0.1:1"), ("::", "[::]:1"), ("[::1]", "[::1]:1")])
def test_address_brackets_ipv6_hosts(host: str, address: str) -> None:
    assert Settings(host=host, port=1).address == address
