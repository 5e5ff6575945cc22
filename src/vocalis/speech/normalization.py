"""English text normalization for speech: numbers, money, dates, times, units and symbols become words.

This is ElevenLabs' `apply_text_normalization` for local engines, which read digits and symbols poorly; it
records which piece of the request became which piece of spoken text, so timings can be mapped back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """`source[source_start:source_end]` became `text[normalized_start:normalized_end]`."""

    source_start: int
    source_end: int
    normalized_start: int
    normalized_end: int


@dataclass(frozen=True)
class NormalizedText:
    """The spoken form of `source`.

    `spans` are contiguous and in order, cover all of `source` and all of `text`, and are never empty.
    An unchanged run is one span of equal length on both sides; each rewritten token is its own span.
    """

    source: str
    text: str
    spans: tuple[Span, ...]

    def source_index(self, normalized_index: int) -> int:
        """Index in `source` of the character `text[normalized_index]` (`len(text)` maps to `len(source)`).

        Inside a rewritten span the position is interpolated, so "one million dollars" spreads over
        "$1,000,000"; the mapping never decreases as `normalized_index` grows.
        """
        if not 0 <= normalized_index <= len(self.text):
            raise IndexError(f"normalized index {normalized_index} is outside 0..{len(self.text)}")
        if normalized_index == len(self.text):
            return len(self.source)
        lo, hi = 0, len(self.spans) - 1
        while lo < hi:  # the last span starting at or before the index
            mid = (lo + hi + 1) // 2
            if self.spans[mid].normalized_start <= normalized_index:
                lo = mid
            else:
                hi = mid - 1
        span = self.spans[lo]
        offset = normalized_index - span.normalized_start
        source_len = span.source_end - span.source_start
        return span.source_start + offset * source_len // (span.normalized_end - span.normalized_start)


def identity(text: str) -> NormalizedText:
    """`text` unchanged, as one span (none for empty text)."""
    spans = (Span(0, len(text), 0, len(text)),) if text else ()
    return NormalizedText(text, text, spans)


# --- Number words -----------------------------------------------------------------------------------------

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ("", " thousand", " million", " billion", " trillion", " quadrillion", " quintillion")
_IRREGULAR_ORDINALS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def cardinal(n: int) -> str:
    """American English words for an integer: 123 -> "one hundred twenty-three" (no "and")."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {cardinal(rest)}" if rest else "")
    groups: list[str] = []
    scale = 0
    while n:
        n, group = divmod(n, 1000)
        if group:
            groups.append(cardinal(group) + _SCALES[scale])
        scale += 1
    return " ".join(reversed(groups))


def ordinal(n: int) -> str:
    """Ordinal words: 22 -> "twenty-second"."""
    words = cardinal(n)
    cut = max(words.rfind(" "), words.rfind("-")) + 1
    head, last = words[:cut], words[cut:]
    if last in _IRREGULAR_ORDINALS:
        last = _IRREGULAR_ORDINALS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + last


def _plural(words: str) -> str:
    """Plural of a number phrase: "ninety" -> "nineties", "six" -> "sixes"."""
    if words.endswith("y"):
        return words[:-1] + "ies"
    return words + ("es" if words.endswith("x") else "s")


def _digits(digits: str) -> str:
    """Digit by digit: "0123" -> "zero one two three"."""
    return " ".join(_ONES[int(d)] for d in digits)


def _integer(digits: str) -> str:
    """Words for unsigned digits; leading zeros and very long runs (IDs, card numbers) go digit by digit."""
    if (len(digits) > 1 and digits[0] == "0") or len(digits) > 18:
        return _digits(digits)
    return cardinal(int(digits))


def _number(text: str) -> str:
    """A written number such as "1,234.5", "-3", "+2" or ".5" in words."""
    sign = {"-": "minus ", "−": "minus ", "+": "plus "}.get(text[:1], "")
    whole, _, fraction = text.lstrip("-−+").replace(",", "").partition(".")
    words = _integer(whole) if whole else ""
    if fraction:
        words = f"{words} point {_digits(fraction)}".lstrip()
    return sign + words


def year(n: int) -> str:
    """A year as spoken: 1999 -> "nineteen ninety-nine", 2005 -> "two thousand five", 1905 -> "nineteen oh
    five"."""
    century, rest = divmod(n, 100)
    if not 1000 <= n <= 9999 or n % 1000 < 10:
        return cardinal(n)
    if rest == 0:
        return f"{cardinal(century)} hundred"
    if rest < 10:
        return f"{cardinal(century)} oh {cardinal(rest)}"
    return f"{cardinal(century)} {cardinal(rest)}"


# --- Rules --------------------------------------------------------------------------------------------------
# Each rule is a verbose regex and a function turning its match into words, or None to decline (the next
# rules then get a chance at the same position). Rules are tried in the order they are defined here, and all
# are joined into one regex, so one left-to-right scan finds the earliest match and the first rule wins there.

_Speaker = Callable[[re.Match[str]], "str | None"]


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    speak: _Speaker


_RULES: list[_Rule] = []


def _rule(pattern: str) -> Callable[[_Speaker], _Speaker]:
    def register(speak: _Speaker) -> _Speaker:
        _RULES.append(_Rule(re.compile(pattern, re.VERBOSE), speak))
        return speak

    return register


_INT = r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+)"
_NUM = rf"(?:{_INT}(?:\.[0-9]+)?|\.[0-9]+)"
_SIGNED = rf"(?:(?<![\w.,])[-−])?{_NUM}"  # a minus only where it cannot be a hyphen
_MONTHS = "January February March April May June July August September October November December".split()
_MONTH_ABBREVIATIONS = {m[:3]: i + 1 for i, m in enumerate(_MONTHS)} | {"Sept": 9}
_MONTH_NUMBERS = {m: i + 1 for i, m in enumerate(_MONTHS)} | _MONTH_ABBREVIATIONS
_MONTH = "(?:" + "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True)) + r")(?:\.(?!\w))?"
_SYMBOL_WORDS = {
    ".": "dot",
    "/": "slash",
    "-": "dash",
    "_": "underscore",
    ":": "colon",
    "?": "question mark",
    "=": "equals",
    "&": "and",
    "#": "hash",
    "@": "at",
    "~": "tilde",
    "%": "percent",
    "+": "plus",
}


_SENTENCE_GOES_ON = re.compile(r"\s*$|\s+[A-Z]")


def _sentence_stop(m: re.Match[str]) -> str:
    """A period when the matched abbreviation's own period also ends the sentence (end or capital next)."""
    return "." if m.group().endswith(".") and _SENTENCE_GOES_ON.match(m.string, m.end()) else ""


def _spell_address(address: str) -> str:
    """Read a URL or e-mail piece: "example.com/a-b" -> "example dot com slash a dash b"."""
    words = []
    for token in re.findall(r"[A-Za-z]+|[0-9]+|\S", address):
        if token.isdigit():
            words.append(cardinal(int(token)) if len(token) <= 3 and token[0] != "0" else _digits(token))
        elif token.isalpha():
            words.append("w w w" if token.lower() == "www" else token)
        elif token in _SYMBOL_WORDS:
            words.append(_SYMBOL_WORDS[token])
    return " ".join(words)


@_rule(r"""(?<![\w.+-]) [A-Za-z0-9][\w.+-]* @ [A-Za-z0-9-]+ (?:\.[A-Za-z0-9-]+)* \.[A-Za-z]{2,} (?![\w-])""")
def _email(m: re.Match[str]) -> str:
    """E-mail addresses: "jane.doe@example.com" -> "jane dot doe at example dot com"."""
    user, _, domain = m.group().partition("@")
    return f"{_spell_address(user)} at {_spell_address(domain)}"


_TLDS = "com|org|net|edu|gov|io|ai|co|dev|app|info|biz|me|tv|ly|gg|xyz|tech|uk|us|eu|de|fr|es|it|nl|ca|au|jp"


@_rule(
    rf"""(?<![\w@/.-])
    (?: (?i:https?|ftp):// [^\s<>"']* [^\s<>"'.,;:!?)\]]
      | (?:[A-Za-z0-9-]+\.)+ (?:{_TLDS}) (?![\w-]) (?: [/?\#] (?:[^\s<>"']* [^\s<>"'.,;:!?)\]])? )? )"""
)
def _url(m: re.Match[str]) -> str:
    """Web addresses, scheme dropped: "https://example.com/docs" -> "example dot com slash docs"."""
    return _spell_address(re.sub(r"^(?i:https?|ftp)://", "", m.group()))


_KEYS = {
    "ctrl": "control",
    "control": "control",
    "cmd": "command",
    "command": "command",
    "⌘": "command",
    "alt": "alt",
    "opt": "option",
    "option": "option",
    "⌥": "option",
    "shift": "shift",
    "⇧": "shift",
    "win": "windows",
    "fn": "function",
    "esc": "escape",
    "del": "delete",
    "delete": "delete",
    "enter": "enter",
    "return": "return",
    "tab": "tab",
    "space": "space",
    "backspace": "backspace",
    "pgup": "page up",
    "pgdn": "page down",
    "home": "home",
    "end": "end",
}
_MODIFIER = r"(?i:ctrl|control|cmd|command|alt|opt|option|shift|win|fn)|[⌘⌥⇧]"
_KEY = r"(?i:esc|del|delete|enter|return|tab|space|backspace|pgup|pgdn|home|end|F[0-9]{1,2})|[A-Za-z0-9]"


@_rule(rf"""(?<!\w) (?:{_MODIFIER}) (?: \s*\+\s* (?:{_MODIFIER}|{_KEY}) )+ (?!\w)""")
def _shortcut(m: re.Match[str]) -> str:
    """Keyboard shortcuts: "Ctrl + Shift + T" -> "control shift t"."""
    words = []
    for key in re.split(r"\s*\+\s*", m.group()):
        if key.lower() in _KEYS:
            words.append(_KEYS[key.lower()])
        elif key.isdigit():
            words.append(_ONES[int(key)])
        elif len(key) > 1:  # function keys
            words.append(f"F {cardinal(int(key[1:]))}")
        else:
            words.append(key.lower())
    return " ".join(words)


@_rule(
    r"""(?<![\w+(])
    (?: (?:\+1[ .-]?|1[ .-])? (?: \([0-9]{3}\)\ ? | [0-9]{3}[ .-] ) [0-9]{3}[ .-][0-9]{4}
      | \+[0-9]{1,3} (?:[ .-][0-9]{1,5}){2,5}
      | [2-9][0-9]{2}-[0-9]{4} )
    (?![0-9]|[.-][0-9])"""
)
def _phone(m: re.Match[str]) -> str | None:
    """Phone numbers digit by digit in their written groups: "five five five, one two three, ..."."""
    groups = re.findall(r"\+?[0-9]+", m.group())
    if len(groups) == 2 and groups[0].endswith("0") and groups[1].endswith("0"):
        return None  # "250-1000" is a range, not a local number
    return ", ".join(("plus " if g[0] == "+" else "") + _digits(g.lstrip("+")) for g in groups)


def _date(month: int, day: int, year_digits: str | None, day_first: bool = False) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    month_name = _MONTHS[month - 1]
    said = f"the {ordinal(day)} of {month_name}" if day_first else f"{month_name} {ordinal(day)}"
    return f"{said}, {year(int(year_digits))}" if year_digits else said


@_rule(r"""(?<![\w.-]) (?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2}) (?![\w-])""")
def _iso_date(m: re.Match[str]) -> str | None:
    """ISO dates: "2024-01-15" -> "January fifteenth, twenty twenty-four"."""
    return _date(int(m["m"]), int(m["d"]), m["y"])


@_rule(
    r"""(?<![\w./-])
    (?: (?P<a>[0-9]{1,2})/(?P<b>[0-9]{1,2})/(?P<y>[0-9]{4})
      | (?P<a2>[0-9]{1,2})-(?P<b2>[0-9]{1,2})-(?P<y2>[0-9]{4})
      | (?P<d3>[0-9]{1,2})\.(?P<m3>[0-9]{1,2})\.(?P<y3>[0-9]{4}) )
    (?![\w/-]|\.[0-9])"""
)
def _numeric_date(m: re.Match[str]) -> str | None:
    """US month/day/year with "/" or "-", European day.month.year with dots; swapped when impossible."""
    if m["d3"]:
        day, month, year_digits = int(m["d3"]), int(m["m3"]), m["y3"]
    else:
        month, day = int(m["a"] or m["a2"]), int(m["b"] or m["b2"])
        year_digits = m["y"] or m["y2"]
    if month > 12 >= day:
        month, day = day, month
    return _date(month, day, year_digits)


@_rule(
    rf"""(?<!\w) (?P<month>{_MONTH}) \s+ (?P<day>[0-9]{{1,2}}) (?:st|nd|rd|th)? (?![\w])
    (?: ,?\s+ (?P<year>[0-9]{{4}}) (?![\w]) )?"""
)
def _month_day(m: re.Match[str]) -> str | None:
    """Month first: "Jan 15, 2024" -> "January fifteenth, twenty twenty-four"."""
    return _date(_MONTH_NUMBERS[m["month"].rstrip(".")], int(m["day"]), m["year"])


@_rule(
    rf"""(?<![\w.]) (?P<day>[0-9]{{1,2}}) (?:st|nd|rd|th)? \s+ (?:of\s+)? (?P<month>{_MONTH}) (?!\w)
    (?: ,?\s+ (?P<year>[0-9]{{4}}) (?![\w]) )?"""
)
def _day_month(m: re.Match[str]) -> str | None:
    """Day first: "15 January 2024" -> "the fifteenth of January, twenty twenty-four"."""
    return _date(_MONTH_NUMBERS[m["month"].rstrip(".")], int(m["day"]), m["year"], day_first=True)


_MERIDIEM = r"(?i:[ap]\.m\.|[ap]\.?m)(?!\w)"


@_rule(
    rf"""(?<![\w:.])
    (?: (?P<h>[01]?[0-9]|2[0-3]) : (?P<min>[0-5][0-9]) (?: :(?P<s>[0-5][0-9]) )? (?![0-9:])
        (?: \ ?(?P<ap>{_MERIDIEM}) )?
      | (?P<h2>1[0-2]|0?[1-9]) \ ?(?P<ap2>{_MERIDIEM}) )"""
)
def _time(m: re.Match[str]) -> str:
    """Clock times: "3:30 PM" -> "three thirty PM"; 24-hour "14:05" -> "two oh five PM"."""
    hour, minute = int(m["h"] or m["h2"]), int(m["min"] or 0)
    meridiem = (m["ap"] or m["ap2"] or "").replace(".", "").upper()
    if not meridiem and m["h"] and (hour == 0 or hour > 12):
        meridiem = "AM" if hour == 0 else "PM"
    hour = (hour % 12 or 12) if meridiem else hour
    if minute == 0:
        words = cardinal(hour) if meridiem else f"{cardinal(hour)} o'clock"
    else:
        words = f"{cardinal(hour)} {'oh ' if minute < 10 else ''}{cardinal(minute)}"
    if m["s"]:
        seconds = int(m["s"])
        words += f" and {cardinal(seconds)} {'second' if seconds == 1 else 'seconds'}"
    return f"{words} {meridiem}{_sentence_stop(m)}" if meridiem else words


# symbol or ISO code: (singular, plural, minor singular, minor plural); no minor unit means decimals are read
_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "US$": ("dollar", "dollars", "cent", "cents"),
    "USD": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "EUR": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "GBP": ("pound", "pounds", "penny", "pence"),
    "¥": ("yen", "yen", "", ""),
    "JPY": ("yen", "yen", "", ""),
    "₹": ("rupee", "rupees", "paisa", "paise"),
    "INR": ("rupee", "rupees", "paisa", "paise"),
}
_SCALE_WORDS = {
    "k": "thousand",
    "K": "thousand",
    "m": "million",
    "M": "million",
    "mm": "million",
    "b": "billion",
    "B": "billion",
    "bn": "billion",
    "tn": "trillion",
}


def _money(amount: str, currency: str, scale: str | None) -> str:
    one, many, minor_one, minor_many = _CURRENCIES[currency]
    sign = "minus " if amount[0] in "-−" else ""
    amount = amount.lstrip("-−")
    if scale:
        return f"{sign}{_number(amount)} {_SCALE_WORDS.get(scale, scale.lower())} {many}"
    whole, _, cents = amount.replace(",", "").partition(".")
    if len(cents) != 2 or not minor_one:
        return f"{sign}{_number(amount)} {one if amount == '1' else many}"
    major, minor = int(whole or 0), int(cents)
    parts = []
    if major or not minor:
        parts.append(f"{cardinal(major)} {one if major == 1 else many}")
    if minor:
        parts.append(f"{cardinal(minor)} {minor_one if minor == 1 else minor_many}")
    return sign + " ".join(parts)


_SCALE = r"(?:\s(?P<word>(?i:thousand|million|billion|trillion))|(?P<scale>[kKmMbB]|mm|bn|tn))(?!\w)"


@_rule(rf"""(?<![\w.]) (?P<minus>[-−])? (?P<cur>US\$|[$€£¥₹]) \ ?(?P<num>{_NUM}) (?:{_SCALE})? (?![\w])""")
def _currency_before(m: re.Match[str]) -> str:
    """Symbol first: "$1,000,000" -> "one million dollars", "$4.50" -> "four dollars fifty cents", "$1.5M"."""
    return _money((m["minus"] or "") + m["num"], m["cur"], m["word"] or m["scale"])


@_rule(rf"""(?<![\w.]) (?P<num>{_SIGNED}) \ ?(?P<cur>[€£¥₹]|(?:USD|EUR|GBP|JPY|INR)(?!\w))""")
def _currency_after(m: re.Match[str]) -> str:
    """Symbol or code after the amount: "5€", "100 USD"."""
    return _money(m["num"], m["cur"], None)


@_rule(rf"""(?<![\w.]) (?P<num>{_SIGNED}) \ ?%""")
def _percent(m: re.Match[str]) -> str:
    """Percentages: "12.5%" -> "twelve point five percent"."""
    return f"{_number(m['num'])} percent"


@_rule(r"""(?<![0-9.]) [0-9]+ (?:\.[0-9]+){2,} (?!\.?[0-9])""")
def _dotted_numbers(m: re.Match[str]) -> str:
    """IP addresses ("one hundred ninety-two dot ...") and versions ("one point two point three")."""
    parts = m.group().split(".")
    is_ip = len(parts) == 4 and all(int(p) <= 255 for p in parts)
    return (" dot " if is_ip else " point ").join(_integer(p) for p in parts)


@_rule(rf"""(?<![\w.]) (?P<a>{_NUM}) \ ?[x×]\ ? (?P<b>{_NUM}) (?: \ ?[x×]\ ? (?P<c>{_NUM}) )? (?![0-9])""")
def _dimensions(m: re.Match[str]) -> str | None:
    """Sizes: "2 x 4" -> "two by four", "1920x1080" -> "one thousand nine hundred twenty by ..."."""
    if m["a"] == "0":
        return None  # hexadecimal such as 0x1F
    return " by ".join(_number(n) for n in (m["a"], m["b"], m["c"]) if n)


# symbol: (singular, plural, space allowed between number and symbol)
_UNITS: dict[str, tuple[str, str, bool]] = {
    "km": ("kilometer", "kilometers", True),
    "m": ("meter", "meters", True),
    "cm": ("centimeter", "centimeters", True),
    "mm": ("millimeter", "millimeters", True),
    "µm": ("micrometer", "micrometers", True),
    "nm": ("nanometer", "nanometers", True),
    "mi": ("mile", "miles", True),
    "ft": ("foot", "feet", True),
    "yd": ("yard", "yards", True),
    "in": ("inch", "inches", False),
    "kg": ("kilogram", "kilograms", True),
    "g": ("gram", "grams", True),
    "mg": ("milligram", "milligrams", True),
    "lb": ("pound", "pounds", True),
    "lbs": ("pound", "pounds", True),
    "oz": ("ounce", "ounces", True),
    "l": ("liter", "liters", False),
    "L": ("liter", "liters", True),
    "ml": ("milliliter", "milliliters", True),
    "mL": ("milliliter", "milliliters", True),
    "gal": ("gallon", "gallons", True),
    "mph": ("mile per hour", "miles per hour", True),
    "km/h": ("kilometer per hour", "kilometers per hour", True),
    "kph": ("kilometer per hour", "kilometers per hour", True),
    "m/s": ("meter per second", "meters per second", True),
    "ms": ("millisecond", "milliseconds", True),
    "sec": ("second", "seconds", True),
    "secs": ("second", "seconds", True),
    "min": ("minute", "minutes", True),
    "mins": ("minute", "minutes", True),
    "h": ("hour", "hours", False),
    "hr": ("hour", "hours", True),
    "hrs": ("hour", "hours", True),
    "Hz": ("hertz", "hertz", True),
    "kHz": ("kilohertz", "kilohertz", True),
    "MHz": ("megahertz", "megahertz", True),
    "GHz": ("gigahertz", "gigahertz", True),
    "KB": ("kilobyte", "kilobytes", True),
    "kB": ("kilobyte", "kilobytes", True),
    "MB": ("megabyte", "megabytes", True),
    "GB": ("gigabyte", "gigabytes", True),
    "TB": ("terabyte", "terabytes", True),
    "PB": ("petabyte", "petabytes", True),
    "kbps": ("kilobit per second", "kilobits per second", True),
    "Kbps": ("kilobit per second", "kilobits per second", True),
    "Mbps": ("megabit per second", "megabits per second", True),
    "Gbps": ("gigabit per second", "gigabits per second", True),
    "W": ("watt", "watts", False),  # "5 W 42nd St" is west
    "kW": ("kilowatt", "kilowatts", True),
    "MW": ("megawatt", "megawatts", True),
    "kWh": ("kilowatt hour", "kilowatt hours", True),
    "V": ("volt", "volts", False),
    "mA": ("milliamp", "milliamps", True),
    "mAh": ("milliamp hour", "milliamp hours", True),
    "cal": ("calorie", "calories", True),
    "kcal": ("kilocalorie", "kilocalories", True),
    "°C": ("degree Celsius", "degrees Celsius", True),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit", True),
    "C": ("degree Celsius", "degrees Celsius", False),
    "F": ("degree Fahrenheit", "degrees Fahrenheit", False),
    "°": ("degree", "degrees", False),
    "x": ("times", "times", False),
    "%": ("percent", "percent", True),
}


def _unit_alternation(spaced: bool) -> str:
    symbols = sorted((s for s, (_, _, sp) in _UNITS.items() if sp or not spaced), key=len, reverse=True)
    return "|".join(re.escape(s) for s in symbols)


_UNIT = rf"(?:\ (?P<spaced>{_unit_alternation(True)})|(?P<attached>{_unit_alternation(False)}))(?![\w/²³])"


def _unit(symbol: str, amount: str) -> str:
    one, many, _ = _UNITS[symbol]
    return one if amount.lstrip("-−") == "1" else many


@_rule(rf"""(?<![\w.,/-]) (?P<a>{_NUM}) (?: - | \ ?[–—]\ ? ) (?P<b>{_NUM}) (?:{_UNIT})? (?![0-9])""")
def _range(m: re.Match[str]) -> str | None:
    """Read "10-20" as "ten to twenty", "1999–2005" as years, "5-10 kg"; a falling pair (a score) declines."""
    a, b = m["a"].replace(",", ""), m["b"].replace(",", "")
    if float(a) >= float(b):
        return None
    both_years = all(len(n) == 4 and n.isdigit() and 1000 <= int(n) <= 2099 for n in (a, b))
    words = [year(int(n)) if both_years else _number(n) for n in (m["a"], m["b"])]
    symbol = m["spaced"] or m["attached"]
    return f"{words[0]} to {words[1]}" + (f" {_unit(symbol, m['b'])}" if symbol else "")


_FRACTIONS = {"½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅖": (2, 5)}
_FRACTIONS |= {"⅗": (3, 5), "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8)}
_FRACTIONS |= {"⅞": (7, 8)}
_FRACTION_GLYPHS = "".join(_FRACTIONS)
_DENOMINATORS = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def _fraction(numerator: int, denominator: int, whole: str | None) -> str | None:
    if not 0 < numerator < denominator or denominator not in {*range(2, 11), 12, 16, 32, 64, 100}:
        return None
    one, many = _DENOMINATORS.get(denominator, (ordinal(denominator), ordinal(denominator) + "s"))
    part = one if numerator == 1 else many
    if whole:
        return f"{_integer(whole)} and {'a' if numerator == 1 else cardinal(numerator)} {part}"
    return f"{cardinal(numerator)} {part}"


@_rule(
    rf"""(?<![\w./])
    (?: (?:(?P<whole>[0-9]+)\ )? (?P<n>[0-9]+)/(?P<d>[0-9]+) (?![\w/]|\.[0-9])
      | (?P<whole2>[0-9]+)? (?P<glyph>[{_FRACTION_GLYPHS}]) )"""
)
def _fractions(m: re.Match[str]) -> str | None:
    """Common fractions: "1/2" -> "one half", "2 3/4" -> "two and three quarters", "⅔" -> "two thirds"."""
    if m["glyph"]:
        return _fraction(*_FRACTIONS[m["glyph"]], m["whole2"])
    return _fraction(int(m["n"]), int(m["d"]), m["whole"])


@_rule(rf"""(?<![\w.,]) (?P<num>{_SIGNED}) {_UNIT}""")
def _measure(m: re.Match[str]) -> str:
    """Units, singular for one: "5kg" -> "five kilograms", "1 mph" -> "one mile per hour"."""
    return f"{_number(m['num'])} {_unit(m['spaced'] or m['attached'], m['num'])}"


@_rule(r"""(?<![\w.]) (?: (?P<full>[12][0-9]{2}0) | ['’]?(?P<short>[1-9]0) ) s (?!\w)""")
def _decade(m: re.Match[str]) -> str:
    """Decades: "1990s" -> "nineteen nineties", "'80s" -> "eighties"."""
    return _plural(year(int(m["full"])) if m["full"] else cardinal(int(m["short"])))


@_rule(rf"""(?<![\w.]) (?P<num>{_INT}) (?:st|nd|rd|th|ST|ND|RD|TH) (?!\w)""")
def _ordinal(m: re.Match[str]) -> str:
    return ordinal(int(m["num"].replace(",", "")))


_YEAR_CONTEXT = re.compile(
    rf"(?:\b(?:[Ii]n|[Ss]ince|[Uu]ntil|[Tt]ill|[Yy]ear|[Cc]irca|[Dd]uring|[Ss]ummer|[Ww]inter|[Ss]pring|"
    rf"[Aa]utumn|AD)|\b{_MONTH})\s+$"
)
_ERA = re.compile(r"\s*(?:AD|BC|BCE|CE|A\.D\.|B\.C\.)(?!\w)")


@_rule(rf"""(?: (?<![\w.,])(?P<minus>[-−]) )? (?P<num>{_NUM}) (?P<k>k(?!\w))?""")
def _cardinal(m: re.Match[str]) -> str | None:
    """Any other number; four digits that look like a year (1900-2099, or "in 1492") are read as one."""
    text, start, num = m.string, m.start(), m["num"]
    if m["minus"] and re.search(r"[0-9]\s*$", text[max(0, start - 8) : start]):
        return None  # "5 -10" reads as a dash, not "minus ten"
    if m["k"]:
        return f"{_number((m['minus'] or '') + num)} thousand"
    if not m["minus"] and len(num) == 4 and num.isdigit() and not text[start - 1 : start].isalpha():
        value = int(num)
        context = _YEAR_CONTEXT.search(text, max(0, start - 20), start) or _ERA.match(text, m.end())
        if 1900 <= value <= 2099 or (1000 <= value <= 2099 and context):
            return year(value)
    return _number((m["minus"] or "") + num)


_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_NUMBERED_THINGS = re.compile(
    r"\b(?:Chapter|Part|Volume|Book|Act|Scene|Section|Article|Phase|Season|Episode|War|Level|Stage|Appendix|"
    r"Psalm|Unit|Class|Type|Title)\s+$"
)
_MONARCHS = re.compile(
    r"\b(?:Henry|Louis|Charles|George|Edward|Elizabeth|William|James|Richard|John|Paul|Pius|Leo|Benedict|"
    r"Gregory|Philip|Frederick|Napoleon|Peter|Alexander|Nicholas|Ramesses|Mary|Catherine|Ivan|Innocent|"
    r"Clement|Urban|Boniface|Alfonso|Ferdinand|Felipe|Gustav|Otto|Wilhelm|Friedrich|Ludwig|Rudolf|"
    r"Constantine|Justinian|Harald|Olaf|Christian|Frederik|Haakon|Carl|Henri|Francis|Pedro|Victor Emmanuel)"
    r"\s+$"
)


def _roman_value(numeral: str) -> int:
    values = [_ROMAN_VALUES[c] for c in numeral]
    return sum(-v if v < nxt else v for v, nxt in zip(values, [*values[1:], 0], strict=True))


@_rule(r"""(?<![\w.]) (?P<numeral>[IVXLCDM]+) (?![\w'’])""")
def _roman(m: re.Match[str]) -> str | None:
    """Roman numerals only where unambiguous: "Chapter IV" -> "Chapter four", "Henry VIII" -> "Henry the
    eighth"."""
    numeral, before = m["numeral"], m.string[max(0, m.start() - 30) : m.start()]
    if not _ROMAN.fullmatch(numeral):
        return None
    if _NUMBERED_THINGS.search(before):
        return cardinal(_roman_value(numeral))
    # "I" is too often the pronoun, and a lone letter with a period is a middle initial ("John V. Smith").
    initial = len(numeral) == 1 and m.string.startswith(".", m.end())
    if _MONARCHS.search(before) and numeral != "I" and not initial:
        return f"the {ordinal(_roman_value(numeral))}"
    return None


_TITLES = {
    "Dr": "Doctor",
    "Mr": "Mister",
    "Mrs": "Missus",
    "Ms": "Miz",
    "Prof": "Professor",
    "Rev": "Reverend",
    "Capt": "Captain",
    "Sgt": "Sergeant",
    "Lt": "Lieutenant",
    "Gen": "General",
    "Col": "Colonel",
    "Gov": "Governor",
    "Sen": "Senator",
    "Rep": "Representative",
}


@_rule(rf"""(?<![\w.]) (?:{"|".join(_TITLES)})\. (?=\s+[A-Z])""")
def _title(m: re.Match[str]) -> str:
    """Titles before a name: "Dr. Smith" -> "Doctor Smith"."""
    return _TITLES[m.group()[:-1]]


_PLACE_PREFIXES = {"St": "Saint", "Mt": "Mount", "Ft": "Fort"}
_AFTER_NAME = re.compile(r"(?:\b[A-Z][\w'-]*|[0-9](?:st|nd|rd|th)?)\s+$")


@_rule(r"""(?<![\w.]) (?:St|Mt|Ft)\.? (?=\s+[A-Z][a-z])""")
def _place_prefix(m: re.Match[str]) -> str | None:
    """Place prefixes: "St. Patrick" -> "Saint Patrick"; after a name ("Main St. Then") it is a street."""
    if _AFTER_NAME.search(m.string, max(0, m.start() - 30), m.start()):
        return None
    return _PLACE_PREFIXES[m.group().rstrip(".")]


_STREETS = {
    "St": "Street",
    "Ave": "Avenue",
    "Rd": "Road",
    "Blvd": "Boulevard",
    "Dr": "Drive",
    "Ln": "Lane",
    "Hwy": "Highway",
}


@_rule(rf"""(?<![\w.]) (?:{"|".join(_STREETS)})\.? (?![\w])""")
def _street(m: re.Match[str]) -> str | None:
    """Street suffixes after a capitalized word or a number: "Main St," -> "Main Street,"."""
    if not _AFTER_NAME.search(m.string, max(0, m.start() - 30), m.start()):
        return None
    return _STREETS[m.group().rstrip(".")] + _sentence_stop(m)


_SHORTHANDS = {
    "e.g.": "for example",
    "i.e.": "that is",
    "etc.": "et cetera",
    "vs.": "versus",
    "vs": "versus",
    "approx.": "approximately",
    "cf.": "compare",
    "a.k.a.": "also known as",
    "jr.": "Junior",
    "sr.": "Senior",
}


@_rule(r"""(?<![\w.]) (?i: e\.g\. | i\.e\. | etc\. | vs\.? | approx\. | cf\. | a\.k\.a\. | [JS]r\.) (?!\w)""")
def _shorthand(m: re.Match[str]) -> str:
    """Latin and other shorthands: "e.g." -> "for example", "etc." -> "et cetera"."""
    words = _SHORTHANDS[m.group().lower()]
    if m.group()[0].isupper():
        words = words[0].upper() + words[1:]
    return words + (_sentence_stop(m) if m.group().lower() in {"etc.", "jr.", "sr."} else "")


@_rule(r"""(?<![\w.]) (?:No|no|Nos|nos)\. (?=\s*[0-9])""")
def _number_sign_word(m: re.Match[str]) -> str:
    """The number sign word: "No. 5" -> "number five"."""
    return "numbers" if m.group().lower() == "nos." else "number"


_SYMBOLS = {
    "&": "and",
    "@": "at",
    "%": "percent",
    "+": "plus",
    "=": "equals",
    "×": "times",
    "±": "plus or minus",
    "≈": "approximately",
}


@_rule(r"""[&@%+=×±≈] | \#(?=[0-9]) | ~(?=\s?[0-9$€£¥])""")
def _symbol(m: re.Match[str]) -> str:
    """Symbols: "R&D" -> "R and D", "#1" -> "number one", "~5" -> "about five"."""
    return {"#": "number", "~": "about"}.get(m.group()) or _SYMBOLS[m.group()]


def _join(patterns: list[str]) -> re.Pattern[str]:
    """One alternation of all rules; their named groups become plain ones, as names repeat across rules."""
    unnamed = (re.sub(r"[(][?]P<\w+>", "(?:", pattern) for pattern in patterns)
    branches = (f"(?P<r{i}>\n{pattern}\n)" for i, pattern in enumerate(unnamed))
    return re.compile("\n|".join(branches), re.VERBOSE)


_ANY_RULE = _join([rule.regex.pattern for rule in _RULES])


def _rewrite(text: str, start: int, first_rule: int) -> tuple[int, str] | None:
    """The first rule, from `first_rule` on, that matches at `start` and accepts: (end, spoken words)."""
    for rule in _RULES[first_rule:]:
        match = rule.regex.match(text, start)
        if match and match.end() > start:
            spoken = rule.speak(match)
            if spoken is not None:
                return match.end(), spoken
    return None


def _is_english(language: str) -> bool:
    return language.lower().replace("_", "-").split("-")[0] in {"en", "eng", "english"}


def normalize(text: str, language: str = "en") -> NormalizedText:
    """Rewrite numbers, money, dates, times, units, URLs, shorthands and symbols as English words.

    Only English (`en`, `en-US`, `eng`, ...) is rewritten: English number words inside another language
    would be wrong, and those engines normalize their own scripts, so any other language comes back as
    `identity(text)`.
    """
    if not _is_english(language):
        return identity(text)
    pieces: list[str] = []
    spans: list[Span] = []
    out_len = copied_to = search_from = 0

    def emit(source_end: int, spoken: str) -> None:
        nonlocal out_len, copied_to
        pieces.append(spoken)
        spans.append(Span(copied_to, source_end, out_len, out_len + len(spoken)))
        out_len += len(spoken)
        copied_to = source_end

    while match := _ANY_RULE.search(text, search_from):
        start = match.start()
        rewrite = _rewrite(text, start, int(match.lastgroup[1:]))  # type: ignore[index]
        if rewrite is None:
            search_from = start + 1
            continue
        end, spoken = rewrite
        if start > copied_to:
            emit(start, text[copied_to:start])
        # Keep words apart where a token was glued to a word: "mp3" -> "mp three", "R&D" -> "R and D".
        if pieces and pieces[-1][-1:].isalnum() and spoken[:1].isalnum():
            spoken = " " + spoken
        if text[end : end + 1].isalnum() and spoken[-1:].isalnum():
            spoken += " "
        emit(end, spoken)
        search_from = end
    if copied_to < len(text):
        emit(len(text), text[copied_to:])
    return NormalizedText(text, "".join(pieces), tuple(spans))
