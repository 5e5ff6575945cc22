"""Whisper's language codes (ISO-639-1, with Whisper's few exceptions) and the ISO-639-3 codes ElevenLabs
reports for the same languages, both ways."""

from __future__ import annotations

# Whisper code -> (ISO-639-3 code as ElevenLabs Scribe reports it, English name as Whisper and OpenAI spell
# it). Whisper's own exceptions: "jw" (Javanese, ISO "jv"), "haw" and "yue" (no 2-letter code). Scribe
# reports Chinese as "cmn" (Mandarin) and Tagalog as "fil" (Filipino), and uses macrolanguage codes such as
# "msa", "fas", "ara" and "swa".
LANGUAGES: dict[str, tuple[str, str]] = {
    "af": ("afr", "Afrikaans"),
    "am": ("amh", "Amharic"),
    "ar": ("ara", "Arabic"),
    "as": ("asm", "Assamese"),
    "az": ("aze", "Azerbaijani"),
    "ba": ("bak", "Bashkir"),
    "be": ("bel", "Belarusian"),
    "bg": ("bul", "Bulgarian"),
    "bn": ("ben", "Bengali"),
    "bo": ("bod", "Tibetan"),
    "br": ("bre", "Breton"),
    "bs": ("bos", "Bosnian"),
    "ca": ("cat", "Catalan"),
    "cs": ("ces", "Czech"),
    "cy": ("cym", "Welsh"),
    "da": ("dan", "Danish"),
    "de": ("deu", "German"),
    "el": ("ell", "Greek"),
    "en": ("eng", "English"),
    "es": ("spa", "Spanish"),
    "et": ("est", "Estonian"),
    "eu": ("eus", "Basque"),
    "fa": ("fas", "Persian"),
    "fi": ("fin", "Finnish"),
    "fo": ("fao", "Faroese"),
    "fr": ("fra", "French"),
    "gl": ("glg", "Galician"),
    "gu": ("guj", "Gujarati"),
    "ha": ("hau", "Hausa"),
    "haw": ("haw", "Hawaiian"),
    "he": ("heb", "Hebrew"),
    "hi": ("hin", "Hindi"),
    "hr": ("hrv", "Croatian"),
    "ht": ("hat", "Haitian Creole"),
    "hu": ("hun", "Hungarian"),
    "hy": ("hye", "Armenian"),
    "id": ("ind", "Indonesian"),
    "is": ("isl", "Icelandic"),
    "it": ("ita", "Italian"),
    "ja": ("jpn", "Japanese"),
    "jw": ("jav", "Javanese"),
    "ka": ("kat", "Georgian"),
    "kk": ("kaz", "Kazakh"),
    "km": ("khm", "Khmer"),
    "kn": ("kan", "Kannada"),
    "ko": ("kor", "Korean"),
    "la": ("lat", "Latin"),
    "lb": ("ltz", "Luxembourgish"),
    "ln": ("lin", "Lingala"),
    "lo": ("lao", "Lao"),
    "lt": ("lit", "Lithuanian"),
    "lv": ("lav", "Latvian"),
    "mg": ("mlg", "Malagasy"),
    "mi": ("mri", "Maori"),
    "mk": ("mkd", "Macedonian"),
    "ml": ("mal", "Malayalam"),
    "mn": ("mon", "Mongolian"),
    "mr": ("mar", "Marathi"),
    "ms": ("msa", "Malay"),
    "mt": ("mlt", "Maltese"),
    "my": ("mya", "Myanmar"),
    "ne": ("nep", "Nepali"),
    "nl": ("nld", "Dutch"),
    "nn": ("nno", "Nynorsk"),
    "no": ("nor", "Norwegian"),
    "oc": ("oci", "Occitan"),
    "pa": ("pan", "Punjabi"),
    "pl": ("pol", "Polish"),
    "ps": ("pus", "Pashto"),
    "pt": ("por", "Portuguese"),
    "ro": ("ron", "Romanian"),
    "ru": ("rus", "Russian"),
    "sa": ("san", "Sanskrit"),
    "sd": ("snd", "Sindhi"),
    "si": ("sin", "Sinhala"),
    "sk": ("slk", "Slovak"),
    "sl": ("slv", "Slovenian"),
    "sn": ("sna", "Shona"),
    "so": ("som", "Somali"),
    "sq": ("sqi", "Albanian"),
    "sr": ("srp", "Serbian"),
    "su": ("sun", "Sundanese"),
    "sv": ("swe", "Swedish"),
    "sw": ("swa", "Swahili"),
    "ta": ("tam", "Tamil"),
    "te": ("tel", "Telugu"),
    "tg": ("tgk", "Tajik"),
    "th": ("tha", "Thai"),
    "tk": ("tuk", "Turkmen"),
    "tl": ("fil", "Tagalog"),
    "tr": ("tur", "Turkish"),
    "tt": ("tat", "Tatar"),
    "uk": ("ukr", "Ukrainian"),
    "ur": ("urd", "Urdu"),
    "uz": ("uzb", "Uzbek"),
    "vi": ("vie", "Vietnamese"),
    "yi": ("yid", "Yiddish"),
    "yo": ("yor", "Yoruba"),
    "yue": ("yue", "Cantonese"),
    "zh": ("cmn", "Chinese"),
}

# Other spellings callers send for the same languages: standard 2-letter codes Whisper spells differently,
# ISO-639-2/B codes, individual-language codes under a macrolanguage, and legacy codes.
_ALIASES: dict[str, str] = {
    "jv": "jw",
    "iw": "he",
    "in": "id",
    "ji": "yi",
    "nb": "no",
    "nob": "no",
    "tgl": "tl",
    "zho": "zh",
    "chi": "zh",
    "zlm": "ms",
    "may": "ms",
    "pes": "fa",
    "per": "fa",
    "arb": "ar",
    "swh": "sw",
    "npi": "ne",
    "uzn": "uz",
    "khk": "mn",
    "pbu": "ps",
    "ekk": "et",
    "lvs": "lv",
    "azj": "az",
    "als": "sq",
    "alb": "sq",
    "arm": "hy",
    "baq": "eu",
    "bur": "my",
    "cze": "cs",
    "dut": "nl",
    "fre": "fr",
    "geo": "ka",
    "ger": "de",
    "gre": "el",
    "ice": "is",
    "mac": "mk",
    "mao": "mi",
    "rum": "ro",
    "slo": "sk",
    "tib": "bo",
    "wel": "cy",
}
_BY_ISO639_3 = {code3: code1 for code1, (code3, _) in LANGUAGES.items()}


def iso639_1(code: str) -> str | None:
    """Whisper's code for a language given as ISO-639-1, ISO-639-3 (or /B) or a BCP-47 tag ("en-US").

    None when Whisper does not know the language.
    """
    key = code.strip().lower().replace("_", "-").split("-")[0]
    if key in LANGUAGES:
        return key
    return _BY_ISO639_3.get(key) or _ALIASES.get(key)


def iso639_3(code: str) -> str | None:
    """The ISO-639-3 code ElevenLabs reports for a language given in any form `iso639_1` accepts."""
    whisper_code = iso639_1(code)
    return LANGUAGES[whisper_code][0] if whisper_code else None


def language_name(code: str) -> str | None:
    """The English name of a language (as Whisper spells it) given in any form `iso639_1` accepts."""
    whisper_code = iso639_1(code)
    return LANGUAGES[whisper_code][1] if whisper_code else None
