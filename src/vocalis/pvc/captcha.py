"""The voice captcha of professional cloning: a fresh line of random words for the owner to read aloud, shown
as a PNG, and how far what the recognizer heard in the recording is from it.

Random words rather than sentences: a recording made before the captcha was shown cannot contain them. The
words are common, concrete and unambiguous to spell from their sound (no homophones such as "sea"/"see", no
numbers, which recognizers write as digits). Without a sentence to lean on, a recognizer still joins or
half-hears some words ("sugar bridge" -> "Sugarbridge", "thunder" -> "funder"), so readings are compared
letter by letter (character error rate), not word by word: correct readings of TTS voices through Whisper
tiny.en score 0.04-0.27, while another line of captcha words scores 0.58 or more (0.83 on average).
"""

from __future__ import annotations

import io
import re
import secrets

from PIL import Image, ImageDraw, ImageFont

WORDS = (
    "anchor apple basket blanket bottle bridge button camera candle castle cherry chimney cloud coffee "
    "cotton desert dinner doctor dragon engine farmer feather finger forest garden garlic glove guitar "
    "hammer helmet honey island jacket jungle kettle kitchen kitten ladder lantern lemon lizard magnet "
    "market meadow mirror monkey mountain napkin needle ocean orange orchard paper parrot pebble pencil "
    "pepper pillow pirate planet pocket potato puzzle rabbit ribbon river rocket saddle salad shadow "
    "silver sister spider spoon stone sugar summer sunset table thunder ticket tiger tomato tractor "
    "tunnel turtle umbrella valley velvet village violin wagon wallet walnut whistle window winter wizard "
    "yellow zebra"
).split()
WORDS_PER_CAPTCHA = 10  # about 4 s of speech: enough for the speaker encoders, short to read
FONT_SIZE = 44
MARGIN = 24


def new_text() -> str:
    """WORDS_PER_CAPTCHA distinct words drawn with the OS's secure random source (a captcha must not be
    predictable from earlier ones)."""
    pool = list(WORDS)
    return " ".join(pool.pop(secrets.randbelow(len(pool))) for _ in range(WORDS_PER_CAPTCHA))


def render_png(text: str) -> bytes:
    """The text as black words on white, in two lines, with Pillow's built-in scalable font (no font files
    needed). The image stays plainly legible: the check that matters is the speaker's voice, and a
    distorted image would only shut out readers who need a screen magnifier."""
    words = text.split()
    lines = [" ".join(words[: (len(words) + 1) // 2]), " ".join(words[(len(words) + 1) // 2 :])]
    font = ImageFont.load_default(size=FONT_SIZE)
    boxes = [font.getbbox(line) for line in lines]
    width = max(box[2] for box in boxes) + 2 * MARGIN
    line_height = FONT_SIZE + FONT_SIZE // 2
    image = Image.new("RGB", (width, len(lines) * line_height + 2 * MARGIN), "white")
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((MARGIN, MARGIN + index * line_height), line, fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def letters(text: str) -> str:
    """The text's letters in lower case: spaces, punctuation and case do not count as reading errors."""
    return re.sub(r"[^a-z]", "", text.lower())


def character_errors(reference: str, heard: str) -> int:
    """The Levenshtein distance between the letters of `reference` and of `heard`."""
    expected, got = letters(reference), letters(heard)
    previous = list(range(len(got) + 1))
    for i, char in enumerate(expected, start=1):
        current = [i]
        for j, other in enumerate(got, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]
