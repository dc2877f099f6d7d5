class IdConverter:
    """A database id in a path: 1 to 18 digits (never overflows a bigint)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
