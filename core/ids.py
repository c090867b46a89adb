"""Bounded ids for callback data: a button's id is untrusted input (a client can send any
`callback_data`). Out of range, the callback filter does not match and the bot's fallback answers
"this button is stale" instead of the database failing on an overflow."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

INT4_MAX = 2_147_483_647

# a PostgreSQL integer (serial id, yyyymmdd, unix minutes, days, a page, a slot number)
DbInt = Annotated[int, Field(ge=0, le=INT4_MAX)]
# the digits of client_NNN, a client id, an order's uuid in hex (or empty)
ClientDigits = Annotated[str, Field(pattern=r"^([0-9]{3,12})?$")]
ClientIdText = Annotated[str, Field(pattern=r"^(client_[0-9]{3,12})?$")]
HexId = Annotated[str, Field(pattern=r"^([0-9a-f]{32})?$")]
