"""PHP `date()` formatting, the syntax of Centra's `format` argument on datetime fields."""

from datetime import datetime

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def _offset(moment: datetime, separator: str) -> str:
    total = int(moment.utcoffset().total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}{separator}{minutes:02d}"


_TOKENS = {
    "d": lambda m: f"{m.day:02d}",
    "D": lambda m: _DAY_NAMES[m.weekday()][:3],
    "j": lambda m: str(m.day),
    "l": lambda m: _DAY_NAMES[m.weekday()],
    "N": lambda m: str(m.isoweekday()),
    "w": lambda m: str(m.isoweekday() % 7),
    "z": lambda m: str(m.timetuple().tm_yday - 1),
    "W": lambda m: f"{m.isocalendar()[1]:02d}",
    "F": lambda m: _MONTH_NAMES[m.month - 1],
    "M": lambda m: _MONTH_NAMES[m.month - 1][:3],
    "m": lambda m: f"{m.month:02d}",
    "n": lambda m: str(m.month),
    "o": lambda m: str(m.isocalendar()[0]),
    "Y": lambda m: f"{m.year:04d}",
    "y": lambda m: f"{m.year % 100:02d}",
    "a": lambda m: "am" if m.hour < 12 else "pm",
    "A": lambda m: "AM" if m.hour < 12 else "PM",
    "g": lambda m: str(m.hour % 12 or 12),
    "G": lambda m: str(m.hour),
    "h": lambda m: f"{m.hour % 12 or 12:02d}",
    "H": lambda m: f"{m.hour:02d}",
    "i": lambda m: f"{m.minute:02d}",
    "s": lambda m: f"{m.second:02d}",
    "u": lambda m: f"{m.microsecond:06d}",
    "v": lambda m: f"{m.microsecond // 1000:03d}",
    "e": lambda m: str(getattr(m.tzinfo, "key", m.tzname())),
    "O": lambda m: _offset(m, ""),
    "P": lambda m: _offset(m, ":"),
    "p": lambda m: "Z" if m.utcoffset().total_seconds() == 0 else _offset(m, ":"),
    "T": lambda m: m.tzname() or _offset(m, ":"),
    "Z": lambda m: str(int(m.utcoffset().total_seconds())),
    "c": lambda m: m.isoformat(timespec="seconds"),
    "U": lambda m: str(int(m.timestamp())),
}


def php_format(moment: datetime, pattern: str) -> str:
    """Format an aware datetime like PHP's date(); a backslash escapes the next character."""
    out = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _TOKENS:
            out.append(_TOKENS[char](moment))
        else:
            out.append(char)
    return "".join(out)
