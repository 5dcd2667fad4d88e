"""What an OpenAI object id (batch, file) may look like before it goes into a URL path.

In core, not in `routes.batches`, so that reading batch records (the planner does, for
every `plan` and `verify`) loads neither httpx nor any route module.
"""

from __future__ import annotations

import re

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


def is_api_id(value: object) -> bool:
    return isinstance(value, str) and bool(_ID.match(value))
