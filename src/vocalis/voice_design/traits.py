"""What a voice description asks for: gender, age, accent, pitch, pace, energy, texture and use.

Words written outright ("old British man", "a high, fast voice", "40-year-old") are read from word lists,
with their intensity ("very deep", "slightly slow") and negation ("not too fast"). Where none of those words
says the gender, the age or the pitch, a sentence-embedding model (MiniLM, when installed) compares the
description and each of its clauses with prototype sentences of every value, and takes a value only when it
wins by a clear margin: "a massive evil ogre with a booming voice" is a low male voice and "a tiny fairy" a
child's without those words being listed. Single words embedded alone were tried first and matched
adjectives poorly ("baritone" came out nearest "hoarse"), so whole clauses are compared.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace

import numpy as np

from vocalis.engines.protocols import TextEmbedder

KEYWORD_MATCHER = "keywords"

GENDERS = ("male", "female", "neutral")
AGES = ("child", "young", "middle_aged", "old")

_GENDER_WORDS = {
    "male": """man men male guy guys gentleman gentlemen father dad daddy grandfather grandpa husband king
        prince lord sir mister mr son brother uncle masculine lad dude fellow boy boys monk priest wizard
        warlock knight sailor cowboy bloke chap groom nephew boyfriend""",
    "female": """woman women female lady ladies gal mother mom mum mommy grandmother grandma granny wife queen
        princess duchess madam miss mrs ms daughter sister aunt feminine lass girl girls nun witch actress
        businesswoman waitress heroine matriarch bride niece girlfriend""",
    "neutral": "androgynous non-binary nonbinary genderless gender-neutral enby",
}
_PRONOUNS = {"he": "male", "him": "male", "his": "male", "himself": "male",
             "she": "female", "her": "female", "hers": "female", "herself": "female"}  # fmt: skip
# Words ending in "man"/"men" name a man ("salesman", "fishermen") except these.
_NOT_MEN = {"human", "humans", "german", "germans", "roman", "romans", "ottoman", "talisman", "caiman",
            "walkman", "specimen", "regimen", "abdomen", "acumen", "stamen", "shaman"}  # fmt: skip
_AGE_WORDS = {
    "child": "child children kid kids toddler infant baby childlike",
    "young": """young younger youthful teen teens teenage teenager adolescent youth student boy boys girl
        girls lad lass""",
    "middle_aged": "middle-aged mature adult",
    "old": """old older elderly aged senior ancient grandfather grandpa grandmother grandma granny wizened
        frail geezer crone elder veteran grizzled retired aging ageing grey-haired gray-haired white-haired
        silver-haired""",
}
# Derived words read as their root ("grandmotherly", "boyish", "ladylike"), compounds as their last noun
# ("schoolgirl", "cowboy").
_SUFFIXES = ("ly", "ish", "like")
_COMPOUND_ENDS = ("girl", "girls", "boy", "boys", "lady", "ladies")
# "little girl", "small boy": a child, where "girl" alone is only young.
_SMALL = {"little", "small", "tiny", "young"}
_CHILD_NOUNS = {"boy", "boys", "girl", "girls"}

# Continuous traits: -1 / +1 is a clear ask ("deep", "fast"); words further out ask for more.
PITCH_WORDS = {
    "deep": -1.0, "low": -0.8, "low-pitched": -1.0, "lower": -0.6, "bass": -1.2, "baritone": -0.7,
    "booming": -1.0, "resonant": -0.5, "gravelly": -0.4, "husky": -0.3, "high": 1.0, "high-pitched": 1.2,
    "higher": 0.6, "deeper": -0.6, "squeaky": 1.5, "squeaking": 1.5, "shrill": 1.2, "piping": 1.0,
    "falsetto": 1.5, "soprano": 1.0, "tenor": 0.4, "thin": 0.4, "chirpy": 0.8, "sultry": -0.5,
}  # fmt: skip
# "high quality", "low energy": the pitch words describe something else there.
_NOT_PITCH_AFTER = {"quality", "fidelity", "energy", "definition", "school", "end", "budget", "stakes", "key"}
PACE_WORDS = {
    "fast": 1.0, "faster": 0.8, "quick": 0.9, "quickly": 0.9, "rapid": 1.0, "rapidly": 1.0,
    "fast-talking": 1.2, "fast-paced": 1.0, "hurried": 0.8, "brisk": 0.6, "rushed": 0.9, "speedy": 1.0,
    "motormouth": 1.3, "breathless": 0.6, "slow": -1.0, "slower": -0.7, "slowly": -1.0, "slow-paced": -1.0,
    "slow-talking": -1.1, "measured": -0.5, "deliberate": -0.6, "unhurried": -0.7, "leisurely": -0.7,
    "drawl": -0.8, "drawling": -0.8, "languid": -0.8, "sluggish": -1.0, "lazy": -0.6, "sleepy": -0.6,
}  # fmt: skip
ENERGY_WORDS = {
    "energetic": 1.0, "excited": 1.0, "enthusiastic": 0.9, "lively": 0.8, "upbeat": 0.7, "cheerful": 0.6,
    "bubbly": 0.9, "animated": 0.8, "peppy": 0.9, "hyper": 1.2, "hyperactive": 1.2, "dynamic": 0.6,
    "passionate": 0.6, "intense": 0.5, "angry": 0.8, "loud": 0.6, "bold": 0.4, "expressive": 0.6,
    "calm": -1.0, "soothing": -1.0, "gentle": -0.7, "soft": -0.6, "relaxed": -0.7, "serene": -1.0,
    "peaceful": -0.9, "quiet": -0.6, "mellow": -0.6, "meditative": -1.0, "tranquil": -1.0, "sleepy": -0.8,
    "monotone": -0.8, "flat": -0.6, "composed": -0.5, "high-energy": 1.0, "low-energy": -0.8,
    "calmer": -0.7, "livelier": 0.6, "louder": 0.4, "softer": -0.4, "quieter": -0.4, "gentler": -0.5,
}  # fmt: skip
TEXTURE_WORDS = {
    "raspy": "raspy", "gravelly": "raspy", "hoarse": "raspy", "husky": "raspy", "rough": "raspy",
    "gruff": "raspy", "scratchy": "raspy", "croaky": "raspy", "gritty": "raspy", "breathy": "breathy",
    "airy": "breathy", "whispery": "breathy", "sultry": "breathy", "whispering": "breathy",
    "whisper": "breathy",
    "bright": "bright", "crisp": "bright", "clear": "bright", "warm": "warm", "rich": "warm",
    "raspier": "raspy", "breathier": "breathy", "brighter": "bright", "warmer": "warm",
    "smoother": "smooth", "smooth": "smooth", "velvety": "smooth", "silky": "smooth", "nasal": "nasal",
    "nasally": "nasal",
}  # fmt: skip
ACCENT_WORDS = {
    "british": "british", "english-accent": "british", "london": "british", "cockney": "british",
    "posh": "british", "rp": "british", "american": "american", "southern": "american",
    "texan": "american", "midwestern": "american", "new-york": "american", "boston": "american",
    "australian": "australian", "aussie": "australian", "irish": "irish", "scottish": "scottish",
    "welsh": "welsh", "indian": "indian", "canadian": "canadian", "south-african": "south_african",
    "african": "african", "nigerian": "nigerian", "jamaican": "jamaican", "french": "french",
    "german": "german", "italian": "italian", "spanish": "spanish", "russian": "russian",
    "swedish": "swedish", "transatlantic": "transatlantic",
}  # fmt: skip
USE_CASE_WORDS = {
    "narration": "narrator narration storyteller storytelling audiobook audiobooks documentary story stories",
    "news": "news newsreader anchor reporter broadcaster journalist headlines",
    "characters": """character ogre villain wizard pirate monster cartoon fairy knight goblin dragon robot elf
        troll witch giant creature hero warrior game""",
    "conversational": "conversational chatty casual assistant support receptionist agent friendly",
    "social_media": "influencer youtuber vlogger podcaster podcast tiktok streamer",
    "meditation": "meditation meditative yoga relaxation asmr mindfulness",
    "advertisement": "commercial advertisement ad announcer salesman promo trailer",
}
_STRONGER = {
    "very": 1.5, "extremely": 1.7, "really": 1.4, "super": 1.5, "incredibly": 1.7, "quite": 1.2, "so": 1.3,
    "rather": 0.9, "fairly": 0.8, "slightly": 0.5, "somewhat": 0.6, "mildly": 0.5, "much": 1.5,
    # "less deep" asks for a little of the opposite (remix prompts describe changes).
    "less": -0.5,
}  # fmt: skip
_WEAKER_PAIRS = {("a", "bit"), ("a", "little"), ("kind", "of"), ("sort", "of")}
_NEGATIONS = {"not", "never", "no", "without", "isn't", "isnt", "nor"}
_LIMIT = 1.5  # the most any continuous trait can be asked for

_TOKEN = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
_AGE_YEARS = re.compile(r"\b(\d{1,3})(?:\s|-)*(?:years?|yrs?)(?:\s|-)*old\b")
_AGE_DECADE = re.compile(
    r"\b(?:in\s+(?:his|her|their|its)\s+)?(?:(?:early|mid|late)[\s-]+)?(\d0)s\b"
    r"|\b(teens|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)\b"
)
_DECADES = {"teens": 15, "twenties": 25, "thirties": 35, "forties": 45, "fifties": 55, "sixties": 65,
            "seventies": 75, "eighties": 85, "nineties": 95}  # fmt: skip
_CLAUSE = re.compile(r"[,;:.!?()]|\b(?:with|who|whose|and|but|that|while)\b")

# Prototype sentences of the values the embeddings may decide, and the margin by which the best value must
# beat the runner-up (cosine, measured on hand-labelled descriptions: below these, wrong calls appeared).
PROTOTYPES: dict[str, dict[str, tuple[str, ...]]] = {
    "gender": {
        "male": ("The voice of a man.", "A male voice.", "He speaks.", "The voice of an old man.",
                 "The voice of a boy."),
        "female": ("The voice of a woman.", "A female voice.", "She speaks.", "The voice of an old woman.",
                   "The voice of a girl."),
    },
    "age": {
        "child": ("The voice of a small child.", "A little kid speaking."),
        "young": ("A young adult's voice.", "A youthful voice.", "A teenager speaking."),
        "middle_aged": ("A middle-aged voice.", "A mature adult's voice."),
        "old": ("An old, elderly voice.", "The voice of a senior citizen."),
    },
    "pitch": {
        "low": ("A deep, low-pitched voice.", "A booming bass voice."),
        "high": ("A high-pitched voice.", "A squeaky, shrill voice."),
    },
}  # fmt: skip
MARGINS = {"gender": 0.04, "age": 0.12, "pitch": 0.15}
# A pitch the embeddings infer counts for less than one the description names.
INFERRED_PITCH = 0.7


def _lexicon(table: dict[str, str]) -> dict[str, list[str]]:
    by_word: dict[str, list[str]] = {}
    for value, listed in table.items():
        for word in listed.split():
            by_word.setdefault(word, []).append(value)
    return by_word


_GENDER_BY_WORD = _lexicon(_GENDER_WORDS)
_AGE_BY_WORD = _lexicon(_AGE_WORDS)
_USE_BY_WORD = _lexicon(USE_CASE_WORDS)
_ALL_WORDS = (
    set(_GENDER_BY_WORD) | set(_AGE_BY_WORD) | set(PITCH_WORDS) | set(PACE_WORDS) | set(ENERGY_WORDS)
    | set(TEXTURE_WORDS) | set(ACCENT_WORDS) | set(_USE_BY_WORD)
)  # fmt: skip


@dataclass(frozen=True)
class VoiceTraits:
    """What the description asked for; None (or 0) where it did not say.

    `pitch` and `pace` are relative to a typical voice of the gender and age (-1.5 very deep or slow,
    1.5 very high or fast); `energy` runs from calm (-1.5) to energetic (1.5). `accent` is a label only: the
    local engines speak US English. `inferred` names the traits the embeddings decided; `matcher` is the
    embedding model's name, or "keywords" when none was used.
    """

    gender: str | None = None
    age: str | None = None
    accent: str | None = None
    pitch: float = 0.0
    pace: float = 0.0
    energy: float = 0.0
    texture: tuple[str, ...] = ()
    use_case: str | None = None
    inferred: tuple[str, ...] = ()
    matcher: str = KEYWORD_MATCHER


def _words(text: str) -> list[str]:
    """Lowercase words, with two-word names joined ("middle aged" -> "middle-aged", "new york") and unknown
    compounds split ("deep-voiced" -> "deep", "voiced"; "great-grandmother" -> "great", "grandmother"),
    possessives read as their noun ("a woman's voice")."""
    tokens = []
    for token in _TOKEN.findall(text.lower()):
        token = token.removesuffix("'s")
        tokens.extend([token] if token in _ALL_WORDS or "-" not in token else token.split("-"))
    tokens = [_root(token) for token in tokens]
    joined: list[str] = []
    index = 0
    while index < len(tokens):
        pair = f"{tokens[index]}-{tokens[index + 1]}" if index + 1 < len(tokens) else ""
        if pair in _ALL_WORDS:
            joined.append(pair)
            index += 2
            continue
        joined.append(tokens[index])
        index += 1
    return joined


def _root(token: str) -> str:
    if token in _ALL_WORDS:
        return token
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and token[: -len(suffix)] in _ALL_WORDS:
            return token[: -len(suffix)]
    return next((end for end in _COMPOUND_ENDS if token.endswith(end)), token)


def _strength(tokens: list[str], index: int) -> float:
    """How strongly the word at `index` is meant: 0 when negated, more after "very", less after "a bit"."""
    before = [token for token in tokens[max(0, index - 3) : index] if token not in {"too", "overly"}]
    if any(token in _NEGATIONS for token in before[-2:]):
        return 0.0
    if len(before) >= 2 and (before[-2], before[-1]) in _WEAKER_PAIRS:
        return 0.5
    return _STRONGER.get(before[-1], 1.0) if before else 1.0


def _continuous(tokens: list[str], table: dict[str, float]) -> float:
    total = 0.0
    for index, token in enumerate(tokens):
        if token not in table:
            continue
        if table is PITCH_WORDS and index + 1 < len(tokens) and tokens[index + 1] in _NOT_PITCH_AFTER:
            continue
        total += table[token] * _strength(tokens, index)
    return float(np.clip(total, -_LIMIT, _LIMIT))


def _vote(
    tokens: list[str], by_word: dict[str, list[str]], extra: dict[str, str] | None = None
) -> str | None:
    """The value named most often (pronouns count half); None when nothing or a tie is named."""
    votes: dict[str, float] = {}
    for index, token in enumerate(tokens):
        if _strength(tokens, index) == 0.0:
            continue
        for value in by_word.get(token, ()):
            votes[value] = votes.get(value, 0.0) + 1.0
        if extra and token in extra:
            votes[extra[token]] = votes.get(extra[token], 0.0) + 0.5
    if not votes:
        return None
    ranked = sorted(votes.items(), key=lambda item: -item[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


def _gender_words(tokens: list[str]) -> list[str]:
    """Tokens with "-woman"/"-man" compounds ("chairwoman", "salesman") read as "woman"/"man"."""
    named = []
    for token in tokens:
        if token.endswith(("woman", "women")):
            token = "woman"
        elif token.endswith(("man", "men")) and len(token) > 4 and token not in _NOT_MEN:
            token = "man"
        named.append(token)
    return named


def _age_from_years(years: int) -> str:
    if years < 13:
        return "child"
    if years < 30:
        return "young"
    return "middle_aged" if years < 58 else "old"


def _stated_age(lowered: str, tokens: list[str]) -> str | None:
    if match := _AGE_YEARS.search(lowered):
        return _age_from_years(int(match.group(1)))
    if match := _AGE_DECADE.search(lowered):
        return _age_from_years(int(match.group(1)) + 5 if match.group(1) else _DECADES[match.group(2)])
    for index, token in enumerate(tokens):
        if token in _CHILD_NOUNS and index > 0 and tokens[index - 1] in _SMALL:
            return "child"
    return _vote(tokens, _AGE_BY_WORD)


def read_keywords(description: str, *, pronouns: bool = True) -> VoiceTraits:
    """The traits the description's own words name; `pronouns=False` leaves "he" and "she" out of the gender
    (a remix prompt's pronouns name the voice it starts from, not a change)."""
    lowered = description.lower()
    # A stated age in years ("a 40-year-old") must not read as "old".
    tokens = _words(_AGE_YEARS.sub(" ", lowered))
    textures = []
    for index, token in enumerate(tokens):
        texture = TEXTURE_WORDS.get(token)
        if texture and texture not in textures and _strength(tokens, index) > 0:
            textures.append(texture)
    return VoiceTraits(
        gender=_vote(_gender_words(tokens), _GENDER_BY_WORD, _PRONOUNS if pronouns else None),
        age=_stated_age(lowered, tokens),
        accent=next((ACCENT_WORDS[token] for token in tokens if token in ACCENT_WORDS), None),
        pitch=_continuous(tokens, PITCH_WORDS),
        pace=_continuous(tokens, PACE_WORDS),
        energy=_continuous(tokens, ENERGY_WORDS),
        texture=tuple(textures),
        use_case=_vote(tokens, _USE_BY_WORD),
    )


def clauses(description: str) -> list[str]:
    """The description and its clauses of a few words or more (each is compared with the prototypes)."""
    parts = [part.strip() for part in _CLAUSE.split(description) if part and len(part.strip()) > 3]
    return [description.strip(), *(part for part in parts if part != description.strip())]


class DescriptionReader:
    """Reads descriptions; the prototype vectors are embedded once per loaded embedding model."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._embedded: tuple[TextEmbedder, dict[str, dict[str, np.ndarray]]] | None = None

    def read(
        self, description: str, embedder: TextEmbedder | None = None, *, changes: bool = False
    ) -> VoiceTraits:
        """The traits of a description; with `changes`, of a remix prompt ("make him older and slower"),
        whose pronouns name the voice being remixed and whose gender is never guessed: only a named one
        ("a woman") changes it."""
        traits = read_keywords(description, pronouns=not changes)
        if embedder is None:
            return traits
        winners = self.embedding_winners(description, embedder)
        inferred = []
        gender, age, pitch = traits.gender, traits.age, traits.pitch
        if gender is None and "gender" in winners and not changes:
            gender = winners["gender"]
            inferred.append("gender")
        if age is None and "age" in winners:
            age = winners["age"]
            inferred.append("age")
        if pitch == 0.0 and "pitch" in winners:
            pitch = INFERRED_PITCH if winners["pitch"] == "high" else -INFERRED_PITCH
            inferred.append("pitch")
        return replace(
            traits, gender=gender, age=age, pitch=pitch, inferred=tuple(inferred), matcher=embedder.name
        )

    def embedding_winners(self, description: str, embedder: TextEmbedder) -> dict[str, str]:
        """Per trait, the value whose prototypes some clause resembles most, if it wins by the margin."""
        prototypes = self._prototypes(embedder)
        vectors = embedder.embed(clauses(description))
        winners = {}
        for trait, values in prototypes.items():
            scores = {value: float((matrix @ vectors.T).max()) for value, matrix in values.items()}
            ranked = sorted(scores.items(), key=lambda item: -item[1])
            if ranked[0][1] - ranked[1][1] >= MARGINS[trait]:
                winners[trait] = ranked[0][0]
        return winners

    def _prototypes(self, embedder: TextEmbedder) -> dict[str, dict[str, np.ndarray]]:
        with self._lock:
            if self._embedded is None or self._embedded[0] is not embedder:
                # One batch for every prototype sentence, then cut back into (trait, value) blocks.
                owners = [(trait, value) for trait, values in PROTOTYPES.items() for value in values]
                rows = embedder.embed(
                    [sentence for trait, value in owners for sentence in PROTOTYPES[trait][value]]
                )
                vectors: dict[str, dict[str, np.ndarray]] = {trait: {} for trait in PROTOTYPES}
                start = 0
                for trait, value in owners:
                    count = len(PROTOTYPES[trait][value])
                    vectors[trait][value] = rows[start : start + count]
                    start += count
                self._embedded = (embedder, vectors)
            return self._embedded[1]
