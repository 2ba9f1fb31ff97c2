"""Settings: DOSECHECK_* variables, flags on top, and the combinations that cannot work."""

from __future__ import annotations

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


def test_workers_need_a_named_port() -> None:
    with pytest.raises(pydantic.ValidationError, match="port 0"):
        Settings(workers=2, port=0)


@pytest.mark.parametrize(("host", "address"), [("127.0.0.1", "127.0.0.1:1"), ("::", "[::]:1"), ("[::1]", "[::1]:1")])
def test_address_brackets_ipv6_hosts(host: str, address: str) -> None:
    assert Settings(host=host, port=1).address == address
