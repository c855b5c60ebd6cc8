"""The API's access log line stays valid JSON whatever API Gateway puts in it.

API Gateway fills each `$context.*` variable in as plain text. `$context.error.messageString` is the
error message already quoted (a JSON string, with its quotes and escapes); every other variable the
format uses must be one whose values cannot hold a quote or a backslash (ids, digits, an address, the
route key the template declares). A variable the test does not know fails it, so a new free-text field
(a user agent, a path) cannot slip into a quoted slot.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from postbacks_local.template import load_template
from tests.infrastructure.deployed import TEMPLATE

# Values these variables take; none can hold `"` or `\\`. "-" is what API Gateway writes for no value.
TOKEN_VARIABLES = {
    "requestId": ["JKz7HjxxIAMEZxw=", "-"],
    "routeKey": ["POST /postbacks/{secret}", "$default", "-"],
    "status": ["200", "403", "503", "-"],
    "identity.sourceIp": ["203.0.113.9", "2001:db8::1", "-"],
    "integrationLatency": ["12", "-"],
    "responseLatency": ["13", "-"],
}
QUOTED_VARIABLES = {"error.messageString"}
_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")


def access_log_format() -> str:
    api = load_template(TEMPLATE)["Resources"]["PostbacksApi"]["Properties"]
    return str(api["AccessLogSettings"]["Format"])


def render(line_format: str, message: str | None, token: int = 0) -> str:
    """The line as API Gateway writes it for one request whose error message is `message` (None: no error)."""

    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        if name in QUOTED_VARIABLES:
            return json.dumps("-" if message is None else message)
        values = TOKEN_VARIABLES[name]
        return values[token % len(values)]

    return _VARIABLE.sub(value, line_format)


def test_the_format_uses_only_variables_whose_values_are_known() -> None:
    used = set(_VARIABLE.findall(access_log_format()))
    assert used <= set(TOKEN_VARIABLES) | QUOTED_VARIABLES, used - set(TOKEN_VARIABLES) - QUOTED_VARIABLES
    assert "error.message" not in used  # the unquoted message: one `"` in it breaks the line


@given(message=st.one_of(st.none(), st.text()), token=st.integers(min_value=0, max_value=5))
@example(message='Forbidden", "status": "200', token=0)
@example(message="back\\slash \n new line \x1b[31m \u202e", token=1)
def test_every_line_is_one_json_object_whatever_the_error_message(message: str | None, token: int) -> None:
    line = render(access_log_format(), message, token)
    parsed: dict[str, Any] = json.loads(line)
    assert parsed["error"] == ("-" if message is None else message)
    assert set(parsed) == {"requestId", "routeKey", "status", "ip", "integrationLatency", "responseLatency", "error"}
