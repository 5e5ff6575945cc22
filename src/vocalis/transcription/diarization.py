"""Who spoke when: speaker embeddings of short windows inside the speech segments, clustered into speakers
and merged into turns; words are then given the speaker of the turn they overlap most.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from vocalis.engines.protocols import SpeakerEncoder

SAMPLE_RATE = 16000
WINDOW = 1.5  # seconds of audio per embedding
HOP = 0.75  # at most this many seconds between window starts inside one speech segment
MIN_WINDOW = 0.6  # shorter speech still gets a speaker, but does not shape the clusters
# VAD segments are widened and joined across short pauses first: a tight VAD (Silero's defaults) cuts word
# edges and splits a sentence into fragments too short to embed (multi-speaker corpus DER 0.33 -> 0.21).
SPEECH_PAD = 0.1
BRIDGE = 0.3
# Speech is scaled to this RMS before embedding: log-mel d-vectors shift with the recording's level, and
# quiet recordings otherwise collapse into one speaker (multi-speaker corpus DER 0.33 -> 0.21).
SPEECH_LEVEL = 0.2
DEFAULT_THRESHOLD = 0.25  # cosine distance between cluster centroids below which they are one speaker
_FIRST_PASS = 0.15  # cosine distance cut of the first, deliberately over-split, clustering pass
_FIRST_PASS_MAX = 100  # at most this many first-pass clusters, so merging stays cheap on long audio
# Windows (and share of windows) a cluster needs to count as a speaker of its own when the count is estimated;
# when the caller gives the count, two windows suffice (a speaker who says one short sentence is trusted).
_MIN_CLUSTER = 3
_MIN_CLUSTER_GIVEN = 2
_MIN_CLUSTER_SHARE = 0.03
MAX_CLUSTERED = 2000  # windows clustered directly; beyond this a subsample is, and the rest join centroids


@dataclass
class SpeakerTurn:
    start: float
    end: float
    speaker: int


@dataclass
class _Window:
    start: float
    end: float
    segment: int  # index of the speech segment it lies in


def _regions(speech: list[tuple[float, float]], duration: float) -> list[tuple[float, float]]:
    """Sorted speech segments padded by SPEECH_PAD, clipped to the audio, joined across gaps under BRIDGE."""
    regions: list[tuple[float, float]] = []
    for start, end in sorted(speech):
        start, end = max(0.0, start - SPEECH_PAD), min(duration, end + SPEECH_PAD)
        if end <= start:
            continue
        if regions and start - regions[-1][1] < BRIDGE:
            regions[-1] = (regions[-1][0], max(regions[-1][1], end))
        else:
            regions.append((start, end))
    return regions


def _windows(speech: list[tuple[float, float]]) -> list[_Window]:
    """Windows of WINDOW seconds inside each segment, evenly spread from its start to its end."""
    windows: list[_Window] = []
    for index, (start, end) in enumerate(speech):
        if end - start <= WINDOW:
            windows.append(_Window(start, end, index))
            continue
        count = int(np.ceil((end - start - WINDOW) / HOP)) + 1
        for offset in np.linspace(0.0, end - start - WINDOW, count):
            windows.append(_Window(start + float(offset), start + float(offset) + WINDOW, index))
    return windows


def _normalized(vectors: np.ndarray) -> np.ndarray:
    return vectors / (np.linalg.norm(vectors, axis=-1, keepdims=True) + 1e-12)


def _relabel(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0..k-1 in order of first appearance."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first))[inverse]


def _cluster(
    embeddings: np.ndarray, num_speakers: int | None, threshold: float, max_speakers: int
) -> np.ndarray:
    """Labels 0..k-1 for L2-normalized embeddings.

    Average-linkage clustering on cosine distance first splits the windows into many small, pure clusters;
    these are then merged, closest centroids first. Clusters too small to be a speaker (a cough, a window
    over two voices) are merged first, into their nearest neighbour; then merging goes on down to
    `num_speakers`, or while the closest centroids are within `threshold` (and down to `max_speakers`).
    Centroids average many windows, so they separate speakers better than single windows do.
    """
    n = len(embeddings)
    target = min(num_speakers, n) if num_speakers is not None else 1
    if n == 1 or (target == 1 and num_speakers is not None):
        return np.zeros(n, dtype=int)
    tree = linkage(embeddings, method="average", metric="cosine")
    # The first pass must not join what `threshold` would keep apart.
    labels = fcluster(tree, t=min(_FIRST_PASS, threshold), criterion="distance")
    if labels.max() > _FIRST_PASS_MAX or labels.max() < target:
        labels = fcluster(tree, t=max(min(_FIRST_PASS_MAX, n), target), criterion="maxclust")
    labels = _relabel(labels)
    count = int(labels.max()) + 1
    sums = np.stack([embeddings[labels == k].sum(axis=0) for k in range(count)])
    sizes = np.bincount(labels, minlength=count).astype(float)
    centroids = _normalized(sums)
    similarity = centroids @ centroids.T
    np.fill_diagonal(similarity, -np.inf)
    alive = np.ones(count, dtype=bool)
    min_windows = _MIN_CLUSTER if num_speakers is None else _MIN_CLUSTER_GIVEN
    min_size = min(max(min_windows, _MIN_CLUSTER_SHARE * n), n / target / 2)
    while alive.sum() > target:
        small = np.flatnonzero(alive & (sizes < min_size))
        if len(small):
            src = small[np.argmin(sizes[small])]
            dst = int(np.argmax(similarity[src]))
        else:
            src, dst = np.unravel_index(np.argmax(similarity), similarity.shape)
            estimated_done = alive.sum() <= max_speakers and similarity[src, dst] < 1.0 - threshold
            if num_speakers is None and estimated_done:
                break
        # Fold cluster `src` into `dst`; only dst's row and column of the similarity matrix change.
        labels[labels == src] = dst
        sums[dst] += sums[src]
        sizes[dst] += sizes[src]
        alive[src] = False
        similarity[src, :] = similarity[:, src] = -np.inf
        centroid = _normalized(sums[dst])
        row = np.where(alive, _normalized(sums) @ centroid, -np.inf)
        row[dst] = -np.inf
        similarity[dst, :] = similarity[:, dst] = row
    return _relabel(labels)


def diarize(
    audio16k: np.ndarray,
    speech: list[tuple[float, float]],
    encoder: SpeakerEncoder,
    *,
    num_speakers: int | None = None,
    threshold: float | None = None,
    max_speakers: int = 32,
) -> list[SpeakerTurn]:
    """Speaker turns over the `speech` segments (seconds) of 16 kHz mono audio, speakers numbered 0, 1, ...
    by first appearance. Turns cover the speech segments, widened by SPEECH_PAD and joined across pauses
    shorter than BRIDGE.

    `num_speakers` (1..32) fixes the count (fewer only if the speech yields fewer distinct windows).
    Otherwise the count is estimated, at most `max_speakers`: clusters whose centroids are closer than
    `threshold` (a cosine distance, default DEFAULT_THRESHOLD; higher gives fewer speakers) are merged.
    """
    if num_speakers is not None and not 1 <= num_speakers <= 32:
        raise ValueError("num_speakers must be between 1 and 32")
    if threshold is not None and not 0.0 < threshold < 2.0:
        raise ValueError("threshold must be a cosine distance between 0 and 2")
    if max_speakers < 1:
        raise ValueError("max_speakers must be at least 1")
    audio = np.asarray(audio16k, dtype=np.float32).reshape(-1)
    duration = len(audio) / SAMPLE_RATE
    speech = _regions(speech, duration)
    windows = _windows(speech)
    if not windows:
        return []
    bounds = [(int(s * SAMPLE_RATE), int(e * SAMPLE_RATE)) for s, e in speech]
    energy = sum(float(np.dot(audio[a:b], audio[a:b])) for a, b in bounds)
    samples = sum(b - a for a, b in bounds)
    gain = SPEECH_LEVEL / np.sqrt(energy / samples) if energy > 0 else 1.0
    embeddings = np.stack(
        [encoder.embed(audio[int(w.start * SAMPLE_RATE) : int(w.end * SAMPLE_RATE)] * gain) for w in windows]
    ).astype(np.float32)
    embeddings = _normalized(embeddings)
    # Only windows long enough for a trustworthy embedding shape the clusters (all, if none is).
    reliable = np.flatnonzero([w.end - w.start >= MIN_WINDOW for w in windows])
    if len(reliable) == 0:
        reliable = np.arange(len(windows))
    if len(reliable) > MAX_CLUSTERED:
        # Evenly spaced subsample: clustering cost grows with the square of the windows.
        reliable = reliable[np.linspace(0, len(reliable) - 1, MAX_CLUSTERED).astype(int)]
    labels = _cluster(embeddings[reliable], num_speakers, threshold or DEFAULT_THRESHOLD, max_speakers)
    count = int(labels.max()) + 1
    centroids = _normalized(np.stack([embeddings[reliable][labels == k].mean(axis=0) for k in range(count)]))
    all_labels = np.argmax(embeddings @ centroids.T, axis=1)
    if len(np.unique(all_labels)) < count:
        # A cluster whose windows all moved to another centroid keeps its own windows (exact count).
        all_labels[reliable] = labels
    return _turns(windows, speech, all_labels)


def _turns(
    windows: list[_Window], speech: list[tuple[float, float]], labels: np.ndarray
) -> list[SpeakerTurn]:
    """Each window owns the part of its segment nearest its centre; same-speaker neighbours are merged."""
    by_segment: list[list[int]] = [[] for _ in speech]
    for i, window in enumerate(windows):
        by_segment[window.segment].append(i)
    pieces: list[tuple[float, float]] = []
    piece_labels: list[int] = []
    for (seg_start, seg_end), members in zip(speech, by_segment):
        centres = [(windows[i].start + windows[i].end) / 2 for i in members]
        for j, i in enumerate(members):
            start = seg_start if j == 0 else (centres[j - 1] + centres[j]) / 2
            end = seg_end if j == len(members) - 1 else (centres[j] + centres[j + 1]) / 2
            pieces.append((start, end))
            piece_labels.append(int(labels[i]))
    turns: list[SpeakerTurn] = []
    for (start, end), speaker in zip(pieces, _relabel(np.array(piece_labels))):
        if turns and turns[-1].speaker == speaker and start - turns[-1].end <= 1e-6:
            turns[-1].end = end
        else:
            turns.append(SpeakerTurn(start, end, int(speaker)))
    return turns


def assign_speakers(words: list[tuple[float, float]], turns: list[SpeakerTurn]) -> list[int | None]:
    """The speaker of each (start, end) word: the turn it overlaps most, else the nearest turn in time.

    None only when there are no turns at all.
    """
    if not turns:
        return [None] * len(words)
    starts = np.array([t.start for t in turns])
    ends = np.array([t.end for t in turns])
    speakers: list[int | None] = []
    for start, end in words:
        overlap = np.minimum(ends, end) - np.maximum(starts, start)
        if overlap.max() > 0:
            speakers.append(turns[int(np.argmax(overlap))].speaker)
        else:
            # In a gap (or a zero-length word): the turn with the nearest edge.
            speakers.append(turns[int(np.argmin(np.maximum(starts - end, start - ends)))].speaker)
    return speakers
