"""TurboSMS's send endpoint behind aioresponses: the one place tests mock TurboSMS's HTTP
(tests/reminder_fixtures.py; a request that times out or never connects is injected with
`mock.post(SMS_SEND, exception=...)`). Over real HTTP: tests/doubles/turbosms.py."""

from __future__ import annotations

import uuid
from typing import Any

from aioresponses import aioresponses
from yarl import URL

from tests.doubles.http_mock import answer

SMS_URL = "https://sms.test"
SMS_SEND = SMS_URL + "/message/send.json"


def sent_sms(mock: aioresponses) -> list[dict[str, Any]]:
    """The JSON body of every send request, answered or not."""
    calls = mock.requests.get(("POST", URL(SMS_SEND)), [])
    return [dict(call.kwargs["json"]) for call in calls]


def queue_sms(mock: aioresponses, status: int = 200, *, times: int = 1) -> None:
    """The next `times` sends are answered: 200 with a message id, or `status` with no body."""
    body = {
        "response_code": 0,
        "response_status": "OK",
        "response_result": [{"message_id": str(uuid.uuid4()), "response_code": 0}],
    }
    for _ in range(times):
        if status == 200:
            mock.post(SMS_SEND, callback=lambda *a, **k: answer(200, body))
        else:
            mock.post(SMS_SEND, callback=lambda *a, **k: answer(status, body=""))
