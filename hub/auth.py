"""Bearer-token authentication: verify a signed JWT and turn its claims into a ``Principal``.

Production keys come from a JWKS document (a file, or a URL fetched once at start-up and
kept: never on the request path). The demo signs its own tokens with a local Ed25519 or
ES256 key, generated under ``./var/auth/`` on first use. Only asymmetric algorithms on an
allow-list are accepted, so neither ``alg: none`` nor an HMAC token signed with a public
key can pass. Every rejection becomes one ``Unauthenticated`` error whose message states only
"expired" or "invalid". The log line names the failing check by its exception class,
never the token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from adapters.errors import Unauthenticated
from adapters.idnumber import mask_name
from adapters.regions import PREFECTURE_CODE, current_county

logger = logging.getLogger(__name__)

DEFAULT_KEY_FILE = Path("var/auth/signing-key.pem")
DEFAULT_ALGORITHMS = ("EdDSA", "ES256")
DEFAULT_LEEWAY_S = 30.0
REQUIRED_CLAIMS = ("exp", "iat", "sub")
DEFAULT_REMEMBERED_TOKENS = 4096

# Symmetric algorithms would let anyone holding the (public) verification key mint tokens.
_ACCEPTABLE_ALGORITHMS = frozenset({"EdDSA", "ES256", "ES384", "RS256", "PS256"})

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


class UnitAgency(StrEnum):
    """The agency a user works for, as the token's ``unit.agency`` claim names it."""

    POLICE = "police"
    PROCURATORATE = "procuratorate"
    COURT = "court"
    PRISON = "prison"
    JUSTICE_BUREAU = "justice_bureau"
    HUB = "hub"


class Role(StrEnum):
    """Roles a token may carry. ``hub.policy`` lists the operations each role is granted."""

    POLICE_OFFICER = "police_officer"
    PROSECUTOR = "prosecutor"
    JUDGE = "judge"
    COURT_CLERK = "court_clerk"
    PRISON_OFFICER = "prison_officer"
    CORRECTION_OFFICER = "correction_officer"
    AUDITOR = "auditor"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class Unit:
    """A user's unit: agency and county (GB/T 2260; 513400 for a prefecture-level unit)."""

    agency: UnitAgency
    county: str

    @property
    def prefecture_level(self) -> bool:
        return self.county == PREFECTURE_CODE

    def __str__(self) -> str:
        return f"{self.agency.value}:{self.county}"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller. ``display_name`` is shown, never logged: log ``masked_name``."""

    user_id: str
    unit: Unit
    roles: frozenset[Role]
    display_name: str = field(default="", repr=False)
    expires_at: dt.datetime | None = None
    token_id: str | None = None

    @property
    def masked_name(self) -> str:
        return mask_name(self.display_name)

    @property
    def role_label(self) -> str:
        return ",".join(sorted(role.value for role in self.roles)) or "-"


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """Checks a token must pass besides its signature. ``leeway_s`` is in seconds."""

    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    issuer: str | None = None
    audience: str | None = None
    leeway_s: float = DEFAULT_LEEWAY_S

    def __post_init__(self) -> None:
        refused = [name for name in self.algorithms if name not in _ACCEPTABLE_ALGORITHMS]
        if refused or not self.algorithms:
            raise ValueError(
                f"algorithms {refused or '()'} are not allowed; use {sorted(_ACCEPTABLE_ALGORITHMS)}"
            )
        if self.leeway_s < 0:
            raise ValueError(f"leeway_s must be 0 or more seconds, got {self.leeway_s}")


@dataclass(frozen=True, slots=True)
class LocalKey:
    """A signing key held by the hub itself (demo only), with its key id and algorithm."""

    private_key: PrivateKey
    kid: str
    algorithm: str

    @property
    def public_key(self) -> Any:
        return self.private_key.public_key()


class KeySet:
    """The public keys tokens may be signed with, by key id (``kid``)."""

    def __init__(self, keys: Mapping[str, Any]) -> None:
        if not keys:
            raise ValueError("a key set needs at least one key")
        self._keys = dict(keys)

    @classmethod
    def from_jwks(cls, document: Mapping[str, Any]) -> KeySet:
        jwk_set = jwt.PyJWKSet.from_dict(dict(document))
        return cls({jwk.key_id or f"key-{index}": jwk.key for index, jwk in enumerate(jwk_set.keys)})

    @classmethod
    def from_jwks_file(cls, path: str | Path) -> KeySet:
        return cls.from_jwks(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_jwks_url(cls, url: str, *, timeout_s: float = 5.0) -> KeySet:
        """Fetch a JWKS document once, at start-up: the request path never fetches keys."""
        response = httpx.get(url, timeout=timeout_s, follow_redirects=False)
        response.raise_for_status()
        return cls.from_jwks(response.json())

    @classmethod
    def from_local(cls, key: LocalKey) -> KeySet:
        return cls({key.kid: key.public_key})

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def select(self, kid: object) -> Any | None:
        if isinstance(kid, str):
            return self._keys.get(kid)
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return None


class TokenVerifier:
    """Check a bearer token against the key set and the ``AuthConfig``; return its ``Principal``."""

    def __init__(
        self,
        keys: KeySet,
        config: AuthConfig | None = None,
        *,
        remembered: int = DEFAULT_REMEMBERED_TOKENS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.config = config or AuthConfig()
        self.remembered = remembered
        self._clock = clock
        # token -> (principal, exp): a front end sends one token many times until it expires,
        # and checking its signature again proves nothing new.
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def principal_from_header(self, authorization: str | None) -> Principal:
        """Read ``Authorization: Bearer <token>``; a missing or other scheme is unauthenticated."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            logger.info("token rejected: reason=missing")
            raise Unauthenticated()
        return self.verify(token.strip())

    def verify(self, token: str) -> Principal:
        """Return the token's principal; a token verified before is re-checked only for expiry."""
        known = self._verified.get(token)
        if known is not None:
            principal, expires_at = known
            if self._clock() < expires_at + self.config.leeway_s:
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]

        principal, expires_at = self._verify_signed(token)
        if self.remembered > 0:
            self._verified[token] = (principal, expires_at)
            if len(self._verified) > self.remembered:
                self._verified.popitem(last=False)
        return principal

    def _verify_signed(self, token: str) -> tuple[Principal, float]:
        config = self.config
        try:
            header = jwt.get_unverified_header(token)
            key = self.keys.select(header.get("kid"))
            if key is None:
                raise jwt.InvalidKeyError("unknown key id")
            claims = jwt.decode(
                token,
                key,
                algorithms=list(config.algorithms),
                audience=config.audience,
                issuer=config.issuer,
                leeway=config.leeway_s,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError as exc:
            logger.info("token rejected: reason=expired")
            raise Unauthenticated(expired=True) from exc
        except jwt.PyJWTError as exc:
            logger.info("token rejected: reason=%s", type(exc).__name__)
            raise Unauthenticated() from exc

        principal = principal_from_claims(claims)
        logger.debug(
            "token accepted: user=%s unit=%s roles=%s",
            principal.user_id,
            principal.unit,
            principal.role_label,
        )
        return principal, float(claims["exp"])


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Build the ``Principal`` from verified claims; a claim of the wrong shape is unauthenticated."""
    subject = claims.get("sub")
    name = claims.get("name", "")
    roles = claims.get("roles")
    if not isinstance(subject, str) or not subject or not isinstance(name, str):
        raise _bad_claims("sub/name")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise _bad_claims("roles")

    unit = _unit_from_claim(claims.get("unit"))
    known = frozenset(Role(role) for role in roles if role in Role.__members__.values())
    expires = dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC)
    token_id = claims.get("jti")
    return Principal(
        user_id=subject,
        unit=unit,
        roles=known,
        display_name=name,
        expires_at=expires,
        token_id=token_id if isinstance(token_id, str) else None,
    )


def parse_unit(agency: str, county: str) -> Unit:
    """Validate a unit; 513400 means prefecture-wide, 513425 is read as 513402 (Huili since 2021)."""
    if agency not in UnitAgency.__members__.values():
        raise ValueError(f"unknown agency {agency!r}; expected one of {[a.value for a in UnitAgency]}")
    if county == PREFECTURE_CODE:
        return Unit(UnitAgency(agency), county)
    found = current_county(county)
    if found is None:
        raise ValueError(f"county {county!r} is not 513400 or a Liangshan county code")
    return Unit(UnitAgency(agency), found.code)


def _unit_from_claim(claim: object) -> Unit:
    if not isinstance(claim, Mapping):
        raise _bad_claims("unit")
    agency, county = claim.get("agency"), claim.get("county")
    if not isinstance(agency, str) or not isinstance(county, str):
        raise _bad_claims("unit")
    try:
        return parse_unit(agency, county)
    except ValueError as exc:
        raise _bad_claims("unit") from exc


def _bad_claims(which: str) -> Unauthenticated:
    logger.info("token rejected: reason=claims:%s", which)
    return Unauthenticated()


def load_or_create_key(path: str | Path = DEFAULT_KEY_FILE, *, algorithm: str = "EdDSA") -> LocalKey:
    """Load the demo signing key (PEM, PKCS#8), generating one (mode 0600) if the file is missing.

    ``algorithm`` (``EdDSA`` or ``ES256``) only chooses the kind of key generated; a loaded key
    keeps its own kind.
    """
    target = Path(path)
    if not target.exists():
        _write_new_key(target, algorithm)

    loaded = serialization.load_pem_private_key(target.read_bytes(), password=None)
    if isinstance(loaded, ed25519.Ed25519PrivateKey):
        return LocalKey(loaded, _key_id(loaded), "EdDSA")
    if isinstance(loaded, ec.EllipticCurvePrivateKey) and isinstance(loaded.curve, ec.SECP256R1):
        return LocalKey(loaded, _key_id(loaded), "ES256")
    raise ValueError(f"{target}: expected an Ed25519 or P-256 private key")


def _write_new_key(target: Path, algorithm: str) -> None:
    key: PrivateKey
    if algorithm == "EdDSA":
        key = ed25519.Ed25519PrivateKey.generate()
    elif algorithm == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        raise ValueError(f"cannot generate a key for {algorithm!r}; use EdDSA or ES256")
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)


def _key_id(key: PrivateKey) -> str:
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(public).hexdigest()[:16]


def public_jwks(key: LocalKey) -> dict[str, Any]:
    """The JWKS document holding ``key``'s public half, as an identity provider would serve it."""
    algorithm = jwt.get_algorithm_by_name(key.algorithm)
    jwk: dict[str, Any] = json.loads(algorithm.to_jwk(key.public_key))
    jwk.update(kid=key.kid, alg=key.algorithm, use="sig")
    return {"keys": [jwk]}


def mint_token(
    role: Role | str | Iterable[Role | str],
    unit: Unit | str,
    *,
    key: LocalKey,
    user_id: str = "demo-user",
    name: str = "演示用户",
    ttl_minutes: float = 60,
    issuer: str | None = None,
    audience: str | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Sign a demo token; ``unit`` is a ``Unit`` or ``"AGENCY:COUNTY"``. Never for production."""
    roles = [role] if isinstance(role, str) else list(role)
    for each in roles:
        Role(each)
    if isinstance(unit, str):
        agency, _, county = unit.partition(":")
        unit = parse_unit(agency, county)

    issued = now or dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "sub": user_id,
        "name": name,
        "unit": {"agency": unit.agency.value, "county": unit.county},
        "roles": [Role(each).value for each in roles],
        "iat": int(issued.timestamp()),
        "exp": int((issued + dt.timedelta(minutes=ttl_minutes)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, key.private_key, algorithm=key.algorithm, headers={"kid": key.kid})
