"""Build the security services from settings: token verifier, audit log writer, subject-hash key.

Production refuses to start without the keys it cannot invent: a JWKS (file or URL) to
verify tokens, and ``HUB_AUDIT_SUBJECT_KEY``. Development falls back to keys generated
under ``./var/``, so ``hub serve`` and ``hub token`` work on a fresh checkout.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.audit import (
    DEFAULT_CHECKPOINT_EVERY,
    AppendedEntry,
    AuditEntry,
    CheckpointSigner,
    append,
    append_many,
    append_many_blocking,
    load_or_create_signing_key,
)
from hub.auth import AuthConfig, KeySet, TokenVerifier, load_or_create_key
from hub.rate_limit import REQUESTS, Quota

if TYPE_CHECKING:
    from hub.settings import Settings

logger = logging.getLogger(__name__)

MIN_SUBJECT_KEY_BYTES = 16


class SecuritySetupError(RuntimeError):
    """Raised at start-up when a key is missing or unusable; the message, Chinese then English,
    names the variable to set."""


@dataclass(frozen=True, slots=True)
class AuditLog:
    """Appends entries inside the caller's transaction, signing every ``checkpoint_every``-th."""

    signer: CheckpointSigner = field(repr=False)
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY

    async def record(self, conn: AsyncConnection, entry: AuditEntry) -> AppendedEntry:
        return await append(conn, entry, signer=self.signer, checkpoint_every=self.checkpoint_every)

    async def record_many(self, conn: AsyncConnection, entries: Sequence[AuditEntry]) -> list[AppendedEntry]:
        return await append_many(conn, entries, signer=self.signer, checkpoint_every=self.checkpoint_every)

    def record_many_blocking(self, conn: Connection, entries: Sequence[AuditEntry]) -> list[AppendedEntry]:
        return append_many_blocking(conn, entries, signer=self.signer, checkpoint_every=self.checkpoint_every)


def audit_log(key_file: str | Path, checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY) -> AuditLog:
    return AuditLog(load_or_create_signing_key(key_file), checkpoint_every)


def token_verifier(settings: Settings) -> TokenVerifier:
    config = AuthConfig(
        algorithms=tuple(settings.auth_algorithms),
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        leeway_s=settings.auth_leeway_s,
    )
    if settings.auth_jwks_file is not None:
        keys = _key_set("HUB_AUTH_JWKS_FILE", KeySet.from_jwks_file, settings.auth_jwks_file)
        return TokenVerifier(keys, config)
    if settings.auth_jwks_url:
        keys = _key_set("HUB_AUTH_JWKS_URL", KeySet.from_jwks_url, settings.auth_jwks_url)
        return TokenVerifier(keys, config)
    if settings.production:
        raise SecuritySetupError(
            "生产环境须设置 HUB_AUTH_JWKS_FILE 或 HUB_AUTH_JWKS_URL，不接受本地演示密钥。"
            " / Production needs HUB_AUTH_JWKS_FILE or HUB_AUTH_JWKS_URL; the local demo key is not accepted."
        )
    logger.warning("authentication uses the demo key %s: development only", settings.auth_key_file)
    return TokenVerifier(KeySet.from_local(load_or_create_key(settings.auth_key_file)), config)


def _key_set(variable: str, load: Callable[[Any], KeySet], source: object) -> KeySet:
    """Load the identity provider's keys, naming ``variable`` when they cannot be read."""
    try:
        return load(source)
    except (OSError, ValueError, KeyError, TypeError, httpx.HTTPError) as exc:
        raise SecuritySetupError(
            f"无法读取 {variable} 指定的 JWKS 公钥（{type(exc).__name__}），请检查该文件或地址。"
            f" / The JWKS that {variable} names cannot be read ({type(exc).__name__}): check the file or URL."
        ) from exc


def required_keys(settings: Settings) -> tuple[TokenVerifier, bytes]:
    """Return the token verifier and the audit subject key.

    Raises one ``SecuritySetupError`` naming every key that is missing or unusable, so an
    operator setting up production fixes them in one go, not one per start.
    """
    problems: list[str] = []
    verifier: TokenVerifier | None = None
    subject: bytes | None = None
    try:
        verifier = token_verifier(settings)
    except SecuritySetupError as exc:
        problems.append(str(exc))
    try:
        subject = subject_key(settings)
    except SecuritySetupError as exc:
        problems.append(str(exc))
    if verifier is None or subject is None:
        raise SecuritySetupError("\n".join(problems))
    return verifier, subject


def subject_key(settings: Settings) -> bytes:
    """Return the key of ``hub.audit.subject_hash``: the setting, or in development a generated file."""
    if settings.audit_subject_key:
        key = settings.audit_subject_key.encode("utf-8")
        if len(key) < MIN_SUBJECT_KEY_BYTES:
            raise SecuritySetupError(
                f"HUB_AUDIT_SUBJECT_KEY 至少须 {MIN_SUBJECT_KEY_BYTES} 字节。"
                f" / HUB_AUDIT_SUBJECT_KEY must be {MIN_SUBJECT_KEY_BYTES} bytes or longer."
            )
        return key
    if settings.production:
        raise SecuritySetupError(
            f"生产环境须设置 HUB_AUDIT_SUBJECT_KEY（至少 {MIN_SUBJECT_KEY_BYTES} 字节的密钥）。"
            f" / Production needs HUB_AUDIT_SUBJECT_KEY (a secret of {MIN_SUBJECT_KEY_BYTES} bytes or more)."
        )

    path = settings.audit_subject_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(secrets.token_hex(32))
        # A process started in another folder than the hub makes a key of its own, and its
        # cache keys and audit subject hashes then match no other process's.
        logger.warning(
            "created a new audit subject key file %s (development); every process of one hub"
            " must read the same file",
            path.resolve(),
        )
    return path.read_text(encoding="utf-8").strip().encode("utf-8")


def quotas(settings: Settings) -> dict[str, tuple[Quota, ...]]:
    return {
        "priorRecords": (
            Quota("minute", settings.rate_prior_records_per_minute),
            Quota("day", settings.rate_prior_records_per_day),
        ),
        REQUESTS: (Quota("minute", settings.rate_requests_per_minute),),
    }
