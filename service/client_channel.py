"""The channel our own clients (`health`, `check --target`, `audit --target`) open: plaintext, TLS, mTLS, a token.

- `--tls-ca` trusts that CA and speaks TLS; `--tls-cert` with `--tls-key` presents a client
  certificate (mTLS), trusting gRPC's default root CAs when `--tls-ca` is not given.
- `--tls-server-name` is the name the server's certificate must carry when the target does not
  (a probe inside a container connects to 127.0.0.1; the certificate names the service).
- `--token-file` sends the file's bearer token (`authorization: Bearer ...`) with every call. A
  token goes over TLS, or to a loopback target with gRPC's local credentials (an experimental
  API that documents call credentials as allowed on it), which connect to a loopback peer only:
  gRPC itself refuses any other. Never in plaintext over a network. The file is read again for
  each new channel: tokens expire.

Each option may come from a `DOSECHECK_CLIENT_*` variable instead, and errors name both.
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final, Optional

import grpc
import typer
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from service.auth import is_loopback

ChannelOptions = Sequence[tuple[str, Any]]

_ENV: Final = {
    "--tls-ca": "DOSECHECK_CLIENT_TLS_CA",
    "--tls-cert": "DOSECHECK_CLIENT_TLS_CERT",
    "--tls-key": "DOSECHECK_CLIENT_TLS_KEY",
    "--token-file": "DOSECHECK_CLIENT_TOKEN_FILE",
    "--tls-server-name": "DOSECHECK_CLIENT_TLS_SERVER_NAME",
}


def _option(flag: str, help_text: str) -> Any:
    return typer.Option(flag, envvar=_ENV[flag], help=help_text, show_default=False)


# typer needs Optional[...] to see the types at run time.
TlsCaOption = Annotated[
    Optional[pathlib.Path],  # noqa: UP045
    _option("--tls-ca", "CA certificates (PEM) to trust: speak TLS to the server."),
]
TlsCertOption = Annotated[
    Optional[pathlib.Path],  # noqa: UP045
    _option("--tls-cert", "Client certificate chain (PEM), for a server that requires one (mTLS); with --tls-key."),
]
TlsKeyOption = Annotated[
    Optional[pathlib.Path],  # noqa: UP045
    _option("--tls-key", "The client certificate's private key (PEM, unencrypted)."),
]
TokenFileOption = Annotated[
    Optional[pathlib.Path],  # noqa: UP045
    _option("--token-file", "A file holding a bearer token (JWT), sent with every call; needs TLS off loopback."),
]
TlsServerNameOption = Annotated[
    Optional[str],  # noqa: UP045
    _option("--tls-server-name", "The name the server's certificate must carry, when not the target's host."),
]


class ClientSecurityError(Exception):
    """A client option cannot be used; the message names the option and why."""


@dataclass(frozen=True, slots=True)
class ClientSecurity:
    """What a client presents: the CA it trusts, its certificate and key, a token file; none = plaintext."""

    tls_ca: pathlib.Path | None = None
    tls_cert: pathlib.Path | None = None
    tls_key: pathlib.Path | None = None
    token_file: pathlib.Path | None = None
    tls_server_name: str | None = None

    def credentials(self, target: str) -> grpc.ChannelCredentials | None:
        """The credentials of a new channel to `target`, from the files as they are now.

        Args:
            target: the gRPC target (`host:port`, `dns:///name:port`...).

        Returns:
            The channel's credentials; None for a plaintext channel.

        Raises:
            ClientSecurityError: a file cannot be read or used, the certificate comes without its
                key, or a token would travel in plaintext to a target that is not loopback.
        """
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ClientSecurityError(f"{_named('--tls-cert')} and {_named('--tls-key')} go together")
        token = _token(self.token_file) if self.token_file is not None else None
        if self.tls_ca is not None or self.tls_cert is not None:
            channel = self._tls()
        elif token is None:
            return None
        elif is_loopback_target(target):
            channel = grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP)
        else:
            raise ClientSecurityError(
                f"{_named('--token-file')}: a token is sent over TLS only (give {_named('--tls-ca')}), "
                f"or to a loopback target; {target} is neither")
        if token is None:
            return channel
        return grpc.composite_channel_credentials(channel, grpc.access_token_call_credentials(token))

    def channel_options(self, options: ChannelOptions) -> ChannelOptions:
        """`options` for a secure channel, with the name the server's certificate must carry when one is given."""
        if self.tls_server_name is None:
            return options
        return [*options, ("grpc.ssl_target_name_override", self.tls_server_name)]

    def _tls(self) -> grpc.ChannelCredentials:
        ca = _certificates(self.tls_ca, "--tls-ca") if self.tls_ca is not None else None
        if self.tls_cert is None or self.tls_key is None:
            return grpc.ssl_channel_credentials(root_certificates=ca)
        chain = _certificates(self.tls_cert, "--tls-cert")
        key = _read(self.tls_key, "--tls-key")
        try:
            private_key = serialization.load_pem_private_key(key, password=None)
        except (ValueError, TypeError):
            raise ClientSecurityError(f"{_named('--tls-key')}: {self.tls_key} is not an unencrypted PEM private key") \
                from None
        if x509.load_pem_x509_certificates(chain)[0].public_key() != private_key.public_key():
            raise ClientSecurityError(
                f"{_named('--tls-key')}: {self.tls_key} is not the key of the certificate in {self.tls_cert}")
        return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=chain)


PLAINTEXT: Final = ClientSecurity()
"""No TLS and no token: what a client presents without options."""


def open_channel(target: str, security: ClientSecurity, options: ChannelOptions = ()) -> grpc.Channel:
    """A blocking channel to `target`, secured as `security` says.

    Raises:
        ClientSecurityError: see `ClientSecurity.credentials`.
    """
    credentials = security.credentials(target)
    if credentials is None:
        return grpc.insecure_channel(target, options=options)
    return grpc.secure_channel(target, credentials, options=security.channel_options(options))


def open_aio_channel(target: str, security: ClientSecurity, options: ChannelOptions = ()) -> grpc.aio.Channel:
    """An asyncio channel to `target`, secured as `security` says.

    Raises:
        ClientSecurityError: see `ClientSecurity.credentials`.
    """
    credentials = security.credentials(target)
    if credentials is None:
        return grpc.aio.insecure_channel(target, options=options)
    return grpc.aio.secure_channel(target, credentials, options=security.channel_options(options))


def is_loopback_target(target: str) -> bool:
    """Whether every address a gRPC target names is this machine (`host:port`, `[::1]:port`, `dns:///`...).

    A target of any other form counts as not loopback. Getting it wrong the other way cannot leak
    a token: local credentials refuse to connect to a peer that is not loopback.
    """
    for scheme in ("dns:///", "ipv4:", "ipv6:"):
        if target.startswith(scheme):
            target = target.removeprefix(scheme)
            break
    return all(is_loopback(_host(address)) for address in target.split(","))


def _host(address: str) -> str:
    if address.startswith("["):
        return address[1:address.find("]")]
    host, colon, _port = address.rpartition(":")
    return host if colon and ":" not in host else address


def _named(flag: str) -> str:
    return f"{flag} ({_ENV[flag]})"


def _read(path: pathlib.Path, flag: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise ClientSecurityError(f"{_named(flag)}: cannot read {path}: {err.strerror}") from None


def _certificates(path: pathlib.Path, flag: str) -> bytes:
    pem = _read(path, flag)
    try:
        x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise ClientSecurityError(f"{_named(flag)}: {path} holds no PEM certificate") from None
    return pem


def _token(path: pathlib.Path) -> str:
    try:
        token = _read(path, "--token-file").decode("ascii").strip()
    except UnicodeDecodeError:
        token = ""
    # A metadata value must be printable ASCII; a JWT has no spaces.
    if not token or not token.isprintable() or " " in token:
        raise ClientSecurityError(f"{_named('--token-file')}: {path} must hold one token (a JWT) on one line")
    return token
