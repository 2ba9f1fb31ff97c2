"""TLS and mTLS on the gRPC port, with certificates reloaded on SIGHUP without dropping calls.

gRPC's dynamic credentials ask a fetcher for the certificate configuration on every new
handshake; the fetcher answers "unchanged" (None) until a reload is requested, then reads the files
once. Connections already open keep the certificate they were made with, so calls in flight go on.
A reload that finds unusable files (half-written, a key that does not match) is logged and the
certificate in use stays.
"""

from __future__ import annotations

import logging
import pathlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from service.settings import Settings

log = logging.getLogger(__name__)


class TlsFilesError(Exception):
    """The certificate, key or client CA files cannot be used; the message names the file and why."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """Where the server's certificate chain, its key and (for mTLS) the client CA bundle are."""

    cert: pathlib.Path
    key: pathlib.Path
    client_ca: pathlib.Path | None = None
    """When set, every client must present a certificate signed by one of these CAs."""

    def load(self) -> grpc.ServerCertificateConfiguration:
        """Reads and checks the files: PEM certificates, a PEM key matching the first certificate.

        Raises:
            TlsFilesError: a file cannot be read or parsed, or the key is not the certificate's.
        """
        chain, key = _read(self.cert), _read(self.key)
        client_ca = _read(self.client_ca) if self.client_ca is not None else None
        try:
            certificates = x509.load_pem_x509_certificates(chain)
        except ValueError:
            raise TlsFilesError(f"{self.cert}: not PEM certificates") from None
        try:
            private_key = serialization.load_pem_private_key(key, password=None)
        except (ValueError, TypeError):
            raise TlsFilesError(f"{self.key}: not an unencrypted PEM private key") from None
        if certificates[0].public_key() != private_key.public_key():
            raise TlsFilesError(f"{self.key} is not the key of the certificate in {self.cert}")
        if client_ca is not None:
            try:
                x509.load_pem_x509_certificates(client_ca)
            except ValueError:
                raise TlsFilesError(f"{self.client_ca}: not PEM certificates") from None
        return grpc.ssl_server_certificate_configuration([(key, chain)], root_certificates=client_ca)


def _read(path: pathlib.Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise TlsFilesError(f"{path}: {err.strerror}") from None


class ReloadingCredentials:
    """Server credentials whose certificate configuration is read again after `request_reload`."""

    def __init__(self, files: TlsFiles, reloaded: Callable[[str], None] | None = None) -> None:
        """Reads the files once.

        Args:
            files: the certificate, key and client CA files.
            reloaded: told the outcome of each reload, `loaded` or `refused` (metrics); None = the log only.

        Raises:
            TlsFilesError: they cannot be used.
        """
        self._files = files
        self._reloaded = reloaded
        self._reload = threading.Event()  # set in the event loop, read in gRPC's handshake threads
        self.credentials = grpc.dynamic_ssl_server_credentials(
            # gRPC documents None as "no change"; the type stub says the fetcher always returns one.
            files.load(), self._fetch, require_client_authentication=files.client_ca is not None)  # type: ignore[arg-type]

    def request_reload(self) -> None:
        """The next handshake reads the files again (the files themselves are not read here)."""
        self._reload.set()

    def _fetch(self) -> grpc.ServerCertificateConfiguration | None:
        """gRPC's fetcher, called on every new handshake: None keeps the configuration in use."""
        if not self._reload.is_set():
            return None
        self._reload.clear()
        try:
            configuration = self._files.load()
        except TlsFilesError as err:
            log.error("TLS certificate not reloaded, the one in use stays: %s", err)
            self._outcome("refused")
            return None
        log.info("TLS certificate reloaded from %s", self._files.cert)
        self._outcome("loaded")
        return configuration

    def _outcome(self, outcome: str) -> None:
        if self._reloaded is not None:
            self._reloaded(outcome)


def tls_files(settings: Settings) -> TlsFiles | None:
    """The gRPC port's TLS files, None when it serves plaintext."""
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    return TlsFiles(settings.tls_cert, settings.tls_key, settings.tls_client_ca)
