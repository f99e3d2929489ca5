#!/bin/sh
# Apache expands the template's ${NAME} variables from this environment; refuse to start with one
# missing (Apache itself would only warn and keep the literal text). The names are the ones the
# guide's table lists.
set -eu
guide=${GATEWAY_APACHE_GUIDE:-/usr/share/gateway-apache/README.md}
confdir=${APACHE_CONFDIR:-/etc/apache2}
missing=""
for name in $(sed -n 's/^| `\([A-Z0-9_]*\)`.*/\1/p' "$guide"); do
    case $name in DEV_PROVIDER_URL|PUBLIC_PREFIX) continue ;; esac
    eval "value=\${$name:-}"
    [ -n "$value" ] || missing="$missing $name"
done
if [ -n "$missing" ]; then
    echo "apache: these variables must be set:$missing" >&2
    exit 3
fi
# Empty publishes the site at the root; Apache needs the variable defined all the same.
export PUBLIC_PREFIX="${PUBLIC_PREFIX:-}"
if ! printf '%s' "$PUBLIC_PREFIX" | grep -Eqx '(/[A-Za-z0-9._~-]+)*'; then
    echo "apache: PUBLIC_PREFIX must be empty or like /gpu-gateway (no trailing slash)" >&2
    exit 3
fi
if [ -n "${DEV_PROVIDER_URL:-}" ]; then
    cp /usr/share/gateway-apache/dev-provider.conf "$confdir/gateway.d/"
else
    rm -f "$confdir/gateway.d/dev-provider.conf"
fi
apache2ctl -t
exec "$@"
