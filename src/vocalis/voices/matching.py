"""The offline cloning method: search the voices the installed engines can render for the one whose speech
the speaker encoders find closest to a reference speaker.

No registry package ships zero-shot cloning weights, so a clone is a point in the space the local engines
already span: Kokoro style packs mixed with any weights (negative ones extrapolate), or Piper's one voice,
each with a pitch shift (WSOLA plus resampling, which moves the formants with the pitch). Every candidate is
judged for real: a probe sentence is synthesized, shifted, and embedded by every installed speaker encoder;
its score is the mean cosine similarity to the reference. The search, within a budget of scored candidates:

1. anchors: each pure Kokoro pack and Piper joe, unshifted and pitched to the reference's median F0; plus the
   premade voices a cheap surrogate ranks highest;
2. a compass (pattern) search over the Kokoro blend weights from the best Kokoro point: each poll moves a
   step toward or away from one pack, polls are ordered by how well that pack scored, the first improvement
   is taken, and the step halves when none improves;
3. the winner's pitch is refined by a parabola through three shifts;
4. with `fit_equalizer` (professional training, whose reference has minutes of speech): a third-octave
   equalizer curve that gives the winner's probe the reference's long-term spectrum, at the strength the
   encoders like best (none, if none helps). It moves timbre and recording channel, which no blend reaches.

A formant shift independent of pitch (WORLD vocoder) was measured too: on the corpus references it changed
the best score by -0.01 to +0.03 against the shift above, so it was left out.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vocalis import __version__
from vocalis.audio import equalizer, resample
from vocalis.audio.analysis import PitchStats, pitch_stats, semitones_between
from vocalis.engines import pitch as pitch_shift
from vocalis.engines.protocols import ClonedVoice, SpeakerEncoder, SynthesisOptions, Synthesizer, VoiceSpec
from vocalis.voices.premade import PREMADE_VOICES

METHOD = "nearest-voice"
SAMPLE_RATE = 16000
# About 3 s of speech with most English vowels and the fricatives and nasals speaker encoders lean on.
PROBE_TEXT = "She sells sea shells by the sea shore, while I watch the yellow moon rise."
MAX_SEMITONES = 8.0  # further shifts sound processed and lose intelligibility
PITCH_STEP = 1.5  # semitones between the three shifts a pitch parabola is fitted through
MIN_WEIGHT = -0.3  # the most a blend may extrapolate away from one pack
FIRST_STEP = 0.3  # compass step (share of the blend moved toward or away from one pack)
LAST_STEP = 0.04
SURROGATE_PREMADE = 2  # premade voices rendered after the surrogate ranks them
EVALUATIONS = 24  # candidates scored at effort 1 (instant cloning): about 8 s on 2 cores
SPEECH_RMS = 0.1  # everything is scaled to this level before embedding (d-vectors shift with level)
PIPER_VOICE = "en_US-joe-medium"
RENDER_FORMAT = 1  # of the probe renders kept on disk; raised when what they hold changes
# Shares of the full spectral match tried by the equalizer fit: the full match over-fits the probe's
# phonemes now and then, a partial one rarely hurts.
EQUALIZER_STRENGTHS = (0.5, 0.75, 1.0)


@dataclass(frozen=True)
class Reference:
    """The speaker to match: a unit embedding per speaker encoder name, the speaker's pitch, and (from
    `VoiceMatcher.reference`) the long-term spectrum of the speech for an equalizer fit."""

    embeddings: dict[str, np.ndarray]
    pitch: PitchStats | None
    spectrum: np.ndarray | None = None


@dataclass
class _Render:
    audio: np.ndarray  # the probe at 16 kHz, level-normalized
    median_f0: float | None


@dataclass
class _Search:
    reference: Reference
    max_evaluations: int
    progress: Callable[[float], None] | None = None
    evaluations: int = 0
    scores: dict[tuple, tuple[float, dict[str, float]]] = field(default_factory=dict)
    embeddings: dict[tuple, dict[str, np.ndarray]] = field(default_factory=dict)

    def spent(self) -> bool:
        return self.evaluations >= self.max_evaluations


def _level(audio: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(audio**2))) if len(audio) else 0.0
    return (audio * (SPEECH_RMS / rms)).astype(np.float32) if rms > 1e-6 else audio.astype(np.float32)


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / (np.linalg.norm(vector) + 1e-12)).astype(np.float32)


def _clip(semitones: float) -> float:
    return round(float(np.clip(semitones, -MAX_SEMITONES, MAX_SEMITONES)), 2)


def _blend_key(blend: Sequence[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((name, round(weight, 4)) for name, weight in blend if abs(weight) > 1e-4))


def _read_render(path: Path) -> _Render | None:
    """A probe render kept by `_write_render`; None when there is none or it cannot be read."""
    try:
        with np.load(path) as stored:
            f0 = float(stored["median_f0"])
            return _Render(stored["audio"].astype(np.float32), None if np.isnan(f0) else f0)
    except (OSError, KeyError, ValueError):
        return None


def _write_render(path: Path, render: _Render) -> None:
    """Keep a probe render; written aside and renamed, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.stem}.{threading.get_ident()}.partial.npz")
    f0 = np.nan if render.median_f0 is None else render.median_f0
    np.savez(partial, audio=render.audio, median_f0=np.float64(f0))
    os.replace(partial, path)


class VoiceMatcher:
    """The offline `VoiceCloner`: renders candidates with the given synthesizers (by engine name, "kokoro"
    and/or "piper") and judges them with every given speaker encoder.

    Probe renders are cached, so the anchors cost their synthesis once per process. Thread-safe.
    """

    name = METHOD

    def __init__(
        self,
        synthesizers: Callable[[], dict[str, Synthesizer]],
        encoders: Callable[[], list[SpeakerEncoder]],
        renders_dir: Path | None = None,
    ) -> None:
        self._synthesizers = synthesizers
        self._encoders = encoders
        self._renders: dict[tuple, _Render] = {}
        self._lock = threading.Lock()
        self._renders_dir = renders_dir

    # Reference -------------------------------------------------------------------------------------------
    def embed(self, speech: np.ndarray) -> dict[str, np.ndarray]:
        """Unit embeddings of 16 kHz speech by every encoder, keyed by encoder name."""
        leveled = _level(np.asarray(speech, dtype=np.float32))
        return {encoder.name: _unit(encoder.embed(leveled)) for encoder in self._encoders()}

    def reference(self, speech: list[np.ndarray]) -> Reference:
        """The speaker of these clips: embeddings of each clip averaged by length, pitch over all of them."""
        weights = [len(clip) for clip in speech]
        per_clip = [self.embed(clip) for clip in speech]
        embeddings = {
            name: _unit(sum(w * clip[name] for w, clip in zip(weights, per_clip))) for name in per_clip[0]
        }
        joined = np.concatenate(speech)
        return Reference(
            embeddings,
            pitch_stats(joined, SAMPLE_RATE),
            equalizer.long_term_spectrum(joined, SAMPLE_RATE),
        )

    def can_render(self, engine: str) -> bool:
        """Whether the matcher has a synthesizer for voices of `engine`."""
        return engine in self._synthesizers()

    def voice_embeddings(self, spec: VoiceSpec) -> dict[str, np.ndarray]:
        """Unit embeddings of a voice as the search scores candidates: the probe in the spec's blend (rendered
        once per blend, so voices that differ only in pitch, equalizer or speed share the rendering), pitch
        shifted and equalized as the spec says. Speed is left out, as in the search: the encoders hear timbre
        and pitch, and a pace change would cost a rendering per voice."""
        return self._heard(spec.engine, spec.blend, spec.pitch_semitones, spec.equalizer)

    # Cloning ---------------------------------------------------------------------------------------------
    def clone(self, speech: list[np.ndarray], effort: float = 1.0) -> ClonedVoice:
        return self.match(self.reference(speech), effort)

    def match(
        self,
        reference: Reference,
        effort: float = 1.0,
        progress: Callable[[float], None] | None = None,
        fit_equalizer: bool = False,
    ) -> ClonedVoice:
        """The best voice found for `reference` in `effort` x EVALUATIONS scored candidates (the anchors, the
        final pitch refinement and an equalizer fit always run). A count rather than a time keeps a clone
        repeatable on a busy machine.

        `progress` gets the share of the budget spent after each scored candidate (a long search, such as
        professional voice training, reports it); an exception it raises stops the search.
        `fit_equalizer` needs the reference's spectrum."""
        started = time.monotonic()
        search = _Search(reference, max_evaluations=max(1, round(EVALUATIONS * effort)), progress=progress)
        synthesizers = self._synthesizers()
        packs = [voice.name for voice in synthesizers["kokoro"].voices()] if "kokoro" in synthesizers else []
        candidates: list[tuple[float, str, tuple, float]] = []  # (score, engine, blend, semitones)
        anchor_scores: dict[str, float] = {}
        for pack in packs:
            score, semitones = self._pitch_start(search, "kokoro", ((pack, 1.0),))
            anchor_scores[pack] = score
            candidates.append((score, "kokoro", _blend_key(((pack, 1.0),)), semitones))
        if "piper" in synthesizers:
            score, semitones = self._pitch_start(search, "piper", ((PIPER_VOICE, 1.0),))
            candidates.append((score, "piper", ((PIPER_VOICE, 1.0),), semitones))
        if packs:
            anchors = {c[2][0][0]: c[3] for c in candidates if c[1] == "kokoro"}
            for blend in self._surrogate_premade(search, anchors)[:SURROGATE_PREMADE]:
                if search.spent():
                    break
                score, semitones = self._pitch_start(search, "kokoro", blend)
                candidates.append((score, "kokoro", blend, semitones))
            kokoro = max(c for c in candidates if c[1] == "kokoro")
            candidates.append(self._compass(search, packs, kokoro, anchor_scores))
        score, engine, blend, semitones = max(candidates)
        score, semitones = self._best_pitch(search, engine, blend, around=semitones)
        curve: equalizer.Curve = ()
        details = {}
        if fit_equalizer and reference.spectrum is not None:
            unequalized = score
            score, curve, strength = self._fitted_equalizer(search, engine, blend, semitones, score)
            details = {"equalizer_strength": strength, "similarity_unequalized": round(unequalized, 4)}
        scores = search.scores[(engine, _blend_key(blend), semitones, curve)][1]
        spec = VoiceSpec(engine, tuple(blend), 1.0, round(semitones, 2), curve)
        return ClonedVoice(
            spec=spec,
            method=METHOD,
            similarity=round(score, 4),
            details={
                "similarity_by_encoder": {name: round(value, 4) for name, value in scores.items()},
                **details,
                "evaluations": search.evaluations,
                "search_seconds": round(time.monotonic() - started, 2),
                "reference_median_f0_hz": round(reference.pitch.median_hz, 1) if reference.pitch else None,
            },
        )

    # Rendering and scoring -------------------------------------------------------------------------------
    def _render(self, engine: str, blend: tuple) -> _Render:
        key = (engine, _blend_key(blend))
        with self._lock:
            cached = self._renders.get(key)
        if cached is not None:
            return cached
        synthesizer = self._synthesizers()[engine]
        stored = self._stored_render_path(synthesizer, key)
        render = _read_render(stored) if stored is not None else None
        if render is None:
            spec = VoiceSpec(engine=engine, blend=tuple(blend))
            options = SynthesisOptions(speed=1.0, variation=0.0, seed=0)
            audio = np.concatenate([c.audio for c in synthesizer.synthesize(PROBE_TEXT, spec, options)])
            audio = _level(resample(audio, synthesizer.sample_rate, SAMPLE_RATE))
            stats = pitch_stats(audio, SAMPLE_RATE)
            render = _Render(audio, stats.median_hz if stats else None)
            if stored is not None:
                _write_render(stored, render)
        with self._lock:
            if len(self._renders) > 512:  # searches add blends without end; keep memory bounded
                self._renders.clear()
            self._renders[key] = render
        return render

    def _heard(
        self, engine: str, blend: tuple, semitones: float, curve: equalizer.Curve
    ) -> dict[str, np.ndarray]:
        """Unit embeddings of the blend's probe render, pitch-shifted and equalized."""
        audio = pitch_shift.shift(self._render(engine, blend).audio, SAMPLE_RATE, semitones)
        return self.embed(equalizer.apply(audio, SAMPLE_RATE, curve))

    def _stored_render_path(self, synthesizer: Synthesizer, key: tuple) -> Path | None:
        """Where a probe render is kept across processes: named by everything its audio depends on (the
        engine's weights, the blend, the probe, Vocalis' version); None where the weights have no identity."""
        weights_id = getattr(synthesizer, "weights_id", None)
        if self._renders_dir is None or weights_id is None:
            return None
        named = json.dumps([__version__, RENDER_FORMAT, weights_id, key, PROBE_TEXT, SAMPLE_RATE])
        return self._renders_dir / f"{key[0]}-{hashlib.sha256(named.encode()).hexdigest()[:40]}.npz"

    def _score(
        self, search: _Search, engine: str, blend: tuple, semitones: float, curve: equalizer.Curve = ()
    ) -> float:
        semitones = _clip(semitones)
        key = (engine, _blend_key(blend), semitones, curve)
        if key not in search.scores:
            embeddings = search.embeddings[key] = self._heard(engine, blend, semitones, curve)
            by_encoder = {
                name: float(np.dot(vector, embeddings[name]))
                for name, vector in search.reference.embeddings.items()
            }
            search.scores[key] = (float(np.mean(list(by_encoder.values()))), by_encoder)
            search.evaluations += 1
            if search.progress is not None:
                search.progress(min(1.0, search.evaluations / search.max_evaluations))
        return search.scores[key][0]

    def _matched_pitch(self, search: _Search, engine: str, blend: tuple) -> float:
        """The shift that puts the render's median F0 on the reference's."""
        render_f0 = self._render(engine, blend).median_f0
        if search.reference.pitch is None or render_f0 is None:
            return 0.0
        shift = semitones_between(render_f0, search.reference.pitch.median_hz)
        return float(np.clip(shift, -MAX_SEMITONES, MAX_SEMITONES))

    def _pitch_start(self, search: _Search, engine: str, blend: tuple) -> tuple[float, float]:
        """(score, semitones) of the better of no shift and the F0 match.

        Both are tried because the encoders do not always prefer the F0 match: shifting a voice far also
        adds artefacts, and a female pack unshifted can be closer to a low female voice than pitched down.
        """
        tried = {0.0, round(self._matched_pitch(search, engine, blend), 2)}
        return max((self._score(search, engine, blend, shift), shift) for shift in tried)

    def _best_pitch(self, search: _Search, engine: str, blend: tuple, around: float) -> tuple[float, float]:
        """(score, semitones): the vertex of a parabola through shifts around `around`, if it is better."""
        shifts = [around - PITCH_STEP, around, around + PITCH_STEP]
        scores = [self._score(search, engine, blend, s) for s in shifts]
        best = int(np.argmax(scores))
        curvature = scores[0] - 2 * scores[1] + scores[2]
        if curvature < 0:  # a maximum between the outer shifts
            vertex = around + 0.5 * PITCH_STEP * (scores[0] - scores[2]) / curvature
            vertex = float(np.clip(vertex, around - 2 * PITCH_STEP, around + 2 * PITCH_STEP))
            score = self._score(search, engine, blend, vertex)
            if score > scores[best]:
                return score, _clip(vertex)
        return scores[best], _clip(shifts[best])

    def _fitted_equalizer(
        self, search: _Search, engine: str, blend: tuple, semitones: float, score: float
    ) -> tuple[float, equalizer.Curve, float]:
        """(score, curve, strength) of the best equalizer for the chosen voice; strength 0 is none."""
        assert search.reference.spectrum is not None
        probe = pitch_shift.shift(self._render(engine, blend).audio, SAMPLE_RATE, semitones)
        spectrum = equalizer.long_term_spectrum(probe, SAMPLE_RATE)
        best: tuple[float, equalizer.Curve, float] = (score, (), 0.0)
        for strength in EQUALIZER_STRENGTHS:
            curve = equalizer.matching_curve(search.reference.spectrum, spectrum, strength)
            value = self._score(search, engine, blend, semitones, curve)
            if value > best[0]:
                best = (value, curve, strength)
        return best

    # Premade voices by surrogate -------------------------------------------------------------------------
    def _surrogate_premade(self, search: _Search, anchor_shifts: dict[str, float]) -> list[tuple]:
        """Premade Kokoro blends ranked by a cheap surrogate: the weighted mean of the packs' embeddings (each
        pack as it was best pitched).

        The surrogate only orders which premade voices are rendered (its rank correlation with the real
        score is 0.1-0.9), so the real score still decides.
        """
        anchors = {
            pack: search.embeddings[("kokoro", _blend_key(((pack, 1.0),)), shift, ())]
            for pack, shift in anchor_shifts.items()
        }
        ranked = []
        seen = {_blend_key(((pack, 1.0),)) for pack in anchors}
        for voice in PREMADE_VOICES:
            blend = _blend_key(voice.spec.blend)
            if (
                voice.spec.engine != "kokoro"
                or blend in seen
                or any(name not in anchors for name, _ in blend)
            ):
                continue
            seen.add(blend)
            total = sum(weight for _, weight in blend)
            predicted = np.mean(
                [
                    float(np.dot(_unit(sum(w / total * anchors[n][name] for n, w in blend)), vector))
                    for name, vector in search.reference.embeddings.items()
                ]
            )
            ranked.append((predicted, blend))
        return [blend for _, blend in sorted(ranked, reverse=True)]

    # Compass search over blend weights -------------------------------------------------------------------
    def _compass(
        self,
        search: _Search,
        packs: list[str],
        start: tuple[float, str, tuple, float],
        anchor_scores: dict[str, float],
    ) -> tuple[float, str, tuple, float]:
        score, _, blend, semitones = start
        weights = np.array([dict(blend).get(pack, 0.0) for pack in packs], dtype=np.float64)
        weights /= weights.sum()
        # Moving toward well-scoring packs and away from poorly scoring ones is tried first.
        order = sorted(range(len(packs)), key=lambda i: -anchor_scores.get(packs[i], 0.0))
        polls = [(i, +1) for i in order] + [(i, -1) for i in reversed(order)]
        step = FIRST_STEP
        # Candidates are pitched the way the start point was best pitched: to the F0 match, or not at all.
        matched = abs(semitones) > 1e-6
        while step >= LAST_STEP and not search.spent():
            improved = False
            for index, direction in polls:
                if search.spent():
                    break
                target = np.eye(len(packs))[index]
                moved = weights + direction * step * (target - weights)
                if moved.min() < MIN_WEIGHT or np.allclose(moved, weights):
                    continue
                candidate = tuple((packs[i], float(w)) for i, w in enumerate(moved) if abs(w) > 1e-4)
                shift = self._matched_pitch(search, "kokoro", candidate) if matched else 0.0
                value = self._score(search, "kokoro", candidate, shift)
                if value > score:
                    score, weights, semitones, improved = value, moved, shift, True
                    break
            if not improved:
                step /= 2
        blend = tuple((packs[i], round(float(w), 4)) for i, w in enumerate(weights) if abs(w) > 1e-4)
        return score, "kokoro", blend, _clip(semitones)
