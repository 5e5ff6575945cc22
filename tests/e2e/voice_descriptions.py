"""Voice descriptions with the traits each asks for, shared by the tests and `bench/voice_design.py`.

Each entry is (description, gender, age, pitch) where pitch is "low", "high" or None (typical); None for
gender or age means the description leaves it open. LITERAL descriptions name their traits in words the
reader lists (several follow ElevenLabs' prompting guide); PARAPHRASES leave some unnamed ("an ogre", "a
fairy"), so only a reader that compares meanings gets those right.
"""

LITERAL = (
    ("An old British man with a deep, raspy voice", "male", "old", "low"),
    ("A young woman with a high, fast voice", "female", "young", "high"),
    ("A middle-aged American woman, calm and warm, speaking slowly", "female", "middle_aged", None),
    ("A 40-year-old Australian man with a bright, friendly tone", "male", "middle_aged", None),
    ("A little girl with a squeaky voice, excited about her birthday", "female", "child", "high"),
    ("An elderly grandmother telling a bedtime story in a soft voice", "female", "old", None),
    ("A teenage boy, energetic and fast-talking", "male", "young", None),
    ("A very deep-voiced male news anchor with a booming delivery", "male", None, "low"),
    ("A gentleman in his seventies with a gravelly, slow drawl", "male", "old", "low"),
    ("An androgynous, calm voice with a neutral accent, perfect audio quality", "neutral", None, None),
    ("A sassy squeaky mouse", None, None, "high"),
    ("A high-pitched female cartoon character, bubbly and quick", "female", None, "high"),
)

PARAPHRASES = (
    ("A massive evil ogre with a booming voice", "male", None, "low"),
    ("A grizzled sea captain who has seen too many storms", "male", "old", None),
    ("a tiny fairy with a tinkling laugh", "female", "child", None),
    ("an energetic sports commentator calling the final seconds", "male", None, None),
    ("a stern drill sergeant barking orders at recruits", "male", None, None),
    ("A hulking brute of a bouncer guarding the door", "male", None, None),
    ("grandmotherly storyteller reading by the fire", "female", "old", None),
    ("a schoolgirl whispering a secret to her friend", "female", "young", None),
    # Added after the reader was written, and measured before they were added.
    ("a burly lumberjack at the end of a long day", "male", None, None),
    ("a glamorous diva arriving at the premiere", "female", None, None),
    ("a stoic samurai before the duel", "male", None, None),
    ("a cheerleader rallying the crowd", "female", None, None),
    ("a bearded biker at a roadside bar", "male", None, None),
    ("a mob boss making an offer", "male", None, None),
    ("a pop starlet greeting fans", "female", None, None),
    ("a nanny humming a lullaby to the baby", "female", None, None),
)
