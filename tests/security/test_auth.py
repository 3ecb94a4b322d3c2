"""Bearer-token verification: what passes, what fails, and what the failure says."""

from __future__ import annotations

import base64
import datetime as dt
import json
import stat
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adapters.errors import AGENCY_NAMES_ZH, Unauthenticated
from hub.auth import (
    AuthConfig,
    KeySet,
    LocalKey,
    Role,
    TokenVerifier,
    UnitAgency,
    load_or_create_key,
    mint_token,
    public_jwks,
)
from hub.auth_commands import token as token_command
from tests.servers import serve_in_thread


@pytest.fixture
def key(tmp_path: Path) -> LocalKey:
    return load_or_create_key(tmp_path / "auth" / "key.pem")


@pytest.fixture
def verifier(key: LocalKey) -> TokenVerifier:
    return TokenVerifier(KeySet.from_local(key))


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def rejected(verifier: TokenVerifier, token: str) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert caught.value.code == "UNAUTHENTICATED"
    return caught.value


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_minted_token_yields_the_principal_it_names(key: LocalKey, verifier: TokenVerifier) -> None:
    token = mint_token(Role.JUDGE, "court:513401", key=key, user_id="j-7", name="阿苏木呷")
    principal = verifier.principal_from_header(f"Bearer {token}")
    assert principal.user_id == "j-7"
    assert (principal.unit.agency, principal.unit.county) == (UnitAgency.COURT, "513401")
    assert principal.roles == {Role.JUDGE}
    assert principal.masked_name == "阿**"
    assert "阿苏木呷" not in repr(principal)


def test_no_token_or_another_scheme_is_unauthenticated(verifier: TokenVerifier) -> None:
    for header in (None, "", "Bearer ", "Basic dXNlcjpwdw=="):
        with pytest.raises(Unauthenticated) as caught:
            verifier.principal_from_header(header)
        assert caught.value.expired is False


def test_a_malformed_token_is_invalid(verifier: TokenVerifier) -> None:
    assert rejected(verifier, "not.a.jwt").key == "auth.invalid"


def test_a_token_signed_by_another_key_is_invalid(
    key: LocalKey, verifier: TokenVerifier, tmp_path: Path
) -> None:
    other = load_or_create_key(tmp_path / "other.pem")
    forged = mint_token(Role.JUDGE, "court:513401", key=LocalKey(other.private_key, key.kid, "EdDSA"))
    assert rejected(verifier, forged).key == "auth.invalid"


def test_expired_beyond_the_leeway_is_rejected_as_expired(key: LocalKey, verifier: TokenVerifier) -> None:
    token = mint_token(
        Role.JUDGE, "court:513401", key=key, ttl_minutes=10, now=now() - dt.timedelta(minutes=10, seconds=31)
    )
    error = rejected(verifier, token)
    assert error.expired is True
    assert error.render("zh") == "身份凭证已过期，请重新登录。"


def test_expired_within_the_leeway_is_still_accepted(key: LocalKey, verifier: TokenVerifier) -> None:
    token = mint_token(
        Role.JUDGE, "court:513401", key=key, ttl_minutes=10, now=now() - dt.timedelta(minutes=10, seconds=20)
    )
    assert verifier.verify(token).user_id == "demo-user"


def test_the_leeway_is_configurable(key: LocalKey) -> None:
    strict = TokenVerifier(KeySet.from_local(key), AuthConfig(leeway_s=0))
    token = mint_token(
        Role.JUDGE, "court:513401", key=key, ttl_minutes=10, now=now() - dt.timedelta(minutes=10, seconds=5)
    )
    assert rejected(strict, token).expired is True


class Clock:
    def __init__(self) -> None:
        self.now = now().timestamp()

    def __call__(self) -> float:
        return self.now


def counted_decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real_decode = jwt.decode

    def counting_decode(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real_decode(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt, "decode", counting_decode)
    return calls


def test_verifier_memory_skips_signature_check(key: LocalKey, monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = TokenVerifier(KeySet.from_local(key))
    token = mint_token(Role.JUDGE, "court:513401", key=key)
    decodes = counted_decodes(monkeypatch)

    for _ in range(5):
        assert verifier.verify(token).user_id == "demo-user"
    assert len(decodes) == 1


def test_verifier_rechecks_remembered_token_after_expiry(
    key: LocalKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    verifier = TokenVerifier(KeySet.from_local(key), AuthConfig(leeway_s=30), clock=clock)
    # Expired 20 s ago by the real clock: inside the 30 s leeway, so PyJWT still accepts it.
    token = mint_token(
        Role.JUDGE, "court:513401", key=key, ttl_minutes=10, now=now() - dt.timedelta(minutes=10, seconds=20)
    )
    decodes = counted_decodes(monkeypatch)

    verifier.verify(token)
    clock.now += 5
    verifier.verify(token)
    assert len(decodes) == 1  # still inside exp + leeway by the verifier's clock
    clock.now += 10
    verifier.verify(token)
    assert len(decodes) == 2  # past it: the memory refuses and the full check runs again


def test_verifier_memory_bounded_rejects_changed_token(key: LocalKey) -> None:
    verifier = TokenVerifier(KeySet.from_local(key), remembered=2)
    tokens = [mint_token(Role.JUDGE, "court:513401", key=key, user_id=f"j-{n}") for n in range(3)]
    for token in tokens:
        verifier.verify(token)

    assert list(verifier._verified) == tokens[1:]
    head, payload, signature = tokens[2].split(".")
    forged = b64({**json.loads(base64.urlsafe_b64decode(payload + "==")), "sub": "j-9"})
    assert rejected(verifier, f"{head}.{forged}.{signature}").key == "auth.invalid"


def test_a_wrong_audience_or_issuer_is_invalid_with_the_same_message(key: LocalKey) -> None:
    config = AuthConfig(issuer="https://idp.liangshan.example", audience="justice-hub")
    checked = TokenVerifier(KeySet.from_local(key), config)
    good = mint_token(Role.JUDGE, "court:513401", key=key, issuer=config.issuer, audience="justice-hub")
    assert checked.verify(good).roles == {Role.JUDGE}

    wrong_audience = mint_token(Role.JUDGE, "court:513401", key=key, issuer=config.issuer, audience="other")
    wrong_issuer = mint_token(
        Role.JUDGE, "court:513401", key=key, issuer="https://x.example", audience="justice-hub"
    )
    no_audience = mint_token(Role.JUDGE, "court:513401", key=key, issuer=config.issuer)
    messages = {
        rejected(checked, token).render("en") for token in (wrong_audience, wrong_issuer, no_audience)
    }
    assert messages == {"The credentials are missing or invalid; sign in again."}


def test_alg_none_is_rejected(key: LocalKey, verifier: TokenVerifier) -> None:
    claims = {
        "sub": "x",
        "iat": int(now().timestamp()),
        "exp": int(now().timestamp()) + 600,
        "unit": {"agency": "court", "county": "513401"},
        "roles": ["judge"],
    }
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': key.kid})}.{b64(claims)}."
    assert rejected(verifier, unsigned).key == "auth.invalid"


def test_an_hmac_token_keyed_with_the_public_key_is_rejected(key: LocalKey, verifier: TokenVerifier) -> None:
    claims = {
        "sub": "x",
        "iat": int(now().timestamp()),
        "exp": int(now().timestamp()) + 600,
        "unit": {"agency": "court", "county": "513401"},
        "roles": ["judge"],
    }
    header = b64({"alg": "HS256", "typ": "JWT", "kid": key.kid})
    payload = b64(claims)
    import hashlib
    import hmac

    secret = json.dumps(public_jwks(key)["keys"][0]).encode()
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{payload}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    rejected(verifier, forged)


def test_symmetric_or_none_algorithms_cannot_be_configured() -> None:
    for algorithms in (("none",), ("HS256",), ()):
        with pytest.raises(ValueError):
            AuthConfig(algorithms=algorithms)


@pytest.mark.parametrize("missing", ["exp", "iat", "sub"])
def test_a_token_without_a_required_claim_is_invalid(
    key: LocalKey, verifier: TokenVerifier, missing: str
) -> None:
    claims: dict[str, object] = {
        "sub": "x",
        "iat": int(now().timestamp()),
        "exp": int(now().timestamp()) + 600,
        "unit": {"agency": "court", "county": "513401"},
        "roles": ["judge"],
    }
    del claims[missing]
    token = jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})
    rejected(verifier, token)


@pytest.mark.parametrize(
    "unit", [None, "court", {"agency": "army", "county": "513401"}, {"agency": "court", "county": "110101"}]
)
def test_a_unit_claim_of_the_wrong_shape_is_invalid(
    key: LocalKey, verifier: TokenVerifier, unit: object
) -> None:
    claims = {
        "sub": "x",
        "iat": int(now().timestamp()),
        "exp": int(now().timestamp()) + 600,
        "unit": unit,
        "roles": ["judge"],
    }
    rejected(verifier, jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid}))


def test_the_old_huili_code_in_a_token_becomes_513402(key: LocalKey, verifier: TokenVerifier) -> None:
    token = mint_token(Role.CORRECTION_OFFICER, "justice_bureau:513425", key=key)
    assert verifier.verify(token).unit.county == "513402"


def test_unknown_roles_are_dropped_not_honoured(key: LocalKey, verifier: TokenVerifier) -> None:
    claims = {
        "sub": "x",
        "iat": int(now().timestamp()),
        "exp": int(now().timestamp()) + 600,
        "unit": {"agency": "hub", "county": "513400"},
        "roles": ["superuser", "auditor"],
    }
    token = jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})
    assert verifier.verify(token).roles == {Role.AUDITOR}


def test_the_demo_key_is_generated_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "var" / "auth" / "signing-key.pem"
    first = load_or_create_key(path)
    second = load_or_create_key(path)
    assert first.kid == second.kid
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_es256_key_signs_and_verifies(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "es.pem", algorithm="ES256")
    assert key.algorithm == "ES256"
    token = mint_token(Role.PROSECUTOR, "procuratorate:513400", key=key)
    assert TokenVerifier(KeySet.from_local(key)).verify(token).unit.county == "513400"


def test_keys_load_from_a_jwks_file(key: LocalKey, tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(public_jwks(key)), encoding="utf-8")
    verifier = TokenVerifier(KeySet.from_jwks_file(path))
    assert verifier.verify(mint_token(Role.AUDITOR, "hub:513400", key=key)).roles == {Role.AUDITOR}


def test_keys_load_once_from_a_jwks_url_on_loopback(key: LocalKey) -> None:
    fetches = []

    async def jwks(request: Request) -> JSONResponse:
        fetches.append(request.url.path)
        return JSONResponse(public_jwks(key))

    with serve_in_thread(Starlette(routes=[Route("/jwks.json", jwks)])) as base:
        verifier = TokenVerifier(KeySet.from_jwks_url(f"{base}/jwks.json"))
    for _ in range(3):
        verifier.verify(mint_token(Role.JUDGE, "court:513401", key=key))
    assert fetches == ["/jwks.json"]


def test_a_token_naming_an_unknown_key_id_is_invalid(key: LocalKey, tmp_path: Path) -> None:
    other = load_or_create_key(tmp_path / "b.pem")
    keys = KeySet({key.kid: key.public_key, other.kid: other.public_key})
    token = mint_token(Role.JUDGE, "court:513401", key=LocalKey(key.private_key, "nope", "EdDSA"))
    rejected(TokenVerifier(keys), token)


def test_rejections_never_log_the_token(
    key: LocalKey, verifier: TokenVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="hub.auth")
    token = mint_token(Role.JUDGE, "court:513401", key=key, audience="x", name="阿苏木呷")
    rejected(verifier, token)
    verifier.verify(mint_token(Role.JUDGE, "court:513401", key=key, name="阿苏木呷"))
    assert token not in caplog.text
    assert "阿苏木呷" not in caplog.text
    assert "reason=InvalidAudienceError" in caplog.text


def test_the_token_command_prints_a_token_the_verifier_accepts(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "auth" / "signing-key.pem"
    result = CliRunner().invoke(
        token_command,
        [
            "--role",
            "correction_officer",
            "--unit",
            "justice_bureau:513431",
            "--ttl",
            "5",
            "--key-file",
            str(key_file),
        ],
    )
    assert result.exit_code == 0, result.output
    principal = TokenVerifier(KeySet.from_local(load_or_create_key(key_file))).verify(result.stdout.strip())
    assert principal.user_id == "demo-correction_officer"
    assert principal.unit.county == "513431"


def test_token_new_key_noted_on_stderr(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "auth" / "signing-key.pem"
    arguments = ["--role", "judge", "--unit", "court:513400", "--key-file", str(key_file)]

    first = CliRunner().invoke(token_command, arguments)
    second = CliRunner().invoke(token_command, arguments)

    assert first.exit_code == second.exit_code == 0
    assert first.stdout.count("\n") == 1  # the token alone
    assert f"已生成新的签名密钥：{key_file}" in first.stderr
    assert f"Created a new signing key at {key_file}." in first.stderr
    assert "HUB_AUTH_KEY_FILE" in first.stderr
    assert second.stderr == ""


@pytest.mark.parametrize(
    ("role", "unit", "fitting"),
    [
        ("judge", "police:513400", "court"),
        ("correction_officer", "court:513431", "justice_bureau"),
        ("operator", "police:513401", "hub"),
    ],
)
def test_token_rejects_role_outside_agency(tmp_path: Path, role: str, unit: str, fitting: str) -> None:
    key_file = tmp_path / "k.pem"
    result = CliRunner().invoke(token_command, ["--role", role, "--unit", unit, "--key-file", str(key_file)])

    assert result.exit_code == 2
    assert f"只属于{AGENCY_NAMES_ZH[fitting]}（{fitting}）单位" in result.output
    assert f"Role {role} acts only in a {fitting} unit" in result.output
    assert f"--unit {fitting}:{unit.partition(':')[2]}" in result.output
    assert not key_file.exists()


def test_token_unit_without_county_bilingual(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        token_command, ["--role", "judge", "--unit", "court", "--key-file", str(tmp_path / "k.pem")]
    )

    assert result.exit_code == 2
    assert "缺少行政区划代码" in result.output
    assert "the county code is missing" in result.output


def test_the_token_command_refuses_a_bad_unit_in_chinese(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        token_command, ["--role", "judge", "--unit", "court:999999", "--key-file", str(tmp_path / "k.pem")]
    )
    assert result.exit_code == 2
    assert "单位无效" in result.output
    assert "court:513401" in result.output  # an example of the expected form, in both halves


@pytest.mark.parametrize(
    ("options", "chinese", "english"),
    [
        (["--role", "judg"], "未知角色“judg”", "Unknown role 'judg'"),
        (["--role", "judge", "--ttl", "0"], "有效期须在 1 到 1440 分钟之间", "must be 1 to 1440 minutes"),
    ],
)
def test_token_command_bad_options_bilingual(
    tmp_path: Path, options: list[str], chinese: str, english: str
) -> None:
    result = CliRunner().invoke(
        token_command, [*options, "--unit", "court:513401", "--key-file", str(tmp_path / "k.pem")]
    )

    assert result.exit_code == 2
    assert chinese in result.output
    assert english in result.output


def test_new_subject_key_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from hub.security_setup import subject_key
    from hub.settings import Settings

    settings = Settings(audit_subject_key_file=tmp_path / "var" / "subject-key")
    with caplog.at_level("WARNING", logger="hub.security_setup"):
        first = subject_key(settings)
        again = subject_key(settings)

    created = [r for r in caplog.records if "created a new audit subject key file" in r.getMessage()]
    assert first == again
    assert len(created) == 1
    assert str((tmp_path / "var" / "subject-key").resolve()) in created[0].getMessage()
    assert stat.S_IMODE((tmp_path / "var" / "subject-key").stat().st_mode) == 0o600
