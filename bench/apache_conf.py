"""The seed's setup, for comparison: Apache + mod_auth_openidc (an OAuth 2.0 resource server
checking each RS256 bearer token against the issuer's key) straight in front of Marathon.

mod_auth_openidc fetches a JWKS only over https, so the issuer's key is given to it as a local
PEM file (``OIDCOAuthVerifyCertFiles``): the same RS256 check per request, without the fetch.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers

MODULES = Path("/usr/lib/apache2/modules")


def _number(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def public_key_file(jwk: dict[str, Any], path: Path) -> Path:
    key = RSAPublicNumbers(_number(jwk["e"]), _number(jwk["n"])).public_key()
    path.write_bytes(key.public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo))
    return path


def apache_config(root: Path, *, port: int, jwk: dict[str, Any], marathon_url: str) -> Path:
    user = "User www-data\nGroup www-data\n" if os.getuid() == 0 else ""
    modules = "\n".join(f"LoadModule {name}_module {MODULES}/mod_{name}.so" for name in (
        "mpm_event", "authn_core", "authz_core", "authz_user", "auth_openidc", "proxy",
        "proxy_http"))
    config = root / "apache.conf"
    config.write_text(f"""\
ServerRoot {root}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {root}/apache.pid
ErrorLog {root}/apache-error.log
LogLevel warn
{user}{modules}
KeepAlive On
MaxKeepAliveRequests 0
OIDCOAuthVerifyCertFiles {jwk["kid"]}#{public_key_file(jwk, root / "issuer-key.pem")}
OIDCOAuthRemoteUserClaim sub
<Location /v2/>
    AuthType oauth20
    Require valid-user
    ProxyPass {marathon_url.rstrip('/')}/v2/ keepalive=On
</Location>
""")
    return config
