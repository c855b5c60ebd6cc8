"""`url`: the whole postback URL, secret included, for the vendor's settings page."""

from __future__ import annotations

from urllib.parse import quote

from postbacks.storage.secrets import SecretUnavailable, current_secret
from postbacks_cli import output
from postbacks_cli.output import Exit
from postbacks_cli.targets import Target


def run(target: Target) -> int:
    if not target.postback_url or not target.url_secret_arn:
        output.error(
            f"{target.where} has no PostbackUrl and UrlSecretArn outputs: pass --stack NAME of a deployed stack"
            " (`make run` prints the local stack's POSTBACK_URL)"
        )
        return Exit.USAGE
    try:
        secret = current_secret(target.url_secret_arn)
    except SecretUnavailable as error:
        output.error(f"cannot read the URL secret of {target.where}: {error}")
        return Exit.USAGE
    output.line(target.postback_url.rstrip("/") + "/" + quote(secret, safe=""))
    return Exit.OK
