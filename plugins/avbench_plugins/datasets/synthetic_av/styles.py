"""How each emotion, actor and take of the synthetic set sounds and looks: plain numbers, seeded.

The emotion profiles follow the usual acoustic and facial correlates (higher, wider
pitch and faster syllables for happy/fearful/surprised; low, slow, soft and dark for
sad; loud and bright for angry; smiles, frowns, raised or knitted brows...). Actor
traits and per-take jitter are drawn so that classes overlap: the set is learnable,
not trivially separable.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from ..naming.ravdess_names import EMOTIONS


@dataclass(frozen=True)
class EmotionStyle:
    """Voice and face settings of one emotion; numbers are offsets from a neutral delivery."""

    # voice
    pitch: float          # semitones above the actor's base pitch
    pitch_range: float    # semitones of intonation excursion
    rate: float           # syllables per second
    loudness: float       # dB
    tilt: float           # harmonic roll-off exponent (low = bright/tense)
    breath: float         # aspiration noise, relative to the voice
    jitter: float         # slow random pitch wander, semitones
    tremolo: float        # amplitude modulation depth (trembling voice)
    # face
    smile: float          # mouth-corner lift, -1 frown .. 1 smile
    mouth_open: float     # resting jaw opening, 0..1
    mouth_width: float    # relative to neutral
    brow_raise: float     # -1 lowered .. 1 raised
    brow_tilt: float      # inner ends up (+, sad/fear) or down (-, anger)
    eye_open: float       # relative eyelid opening
    sneer: float          # one-sided upper-lip raise (disgust)
    head_motion: float    # head movement amplitude
    contour: str = "fall"  # intonation shape, see voice.contour_shape

    def intensified(self, gain: float, neutral: "EmotionStyle") -> "EmotionStyle":
        """Every numeric setting moved ``gain`` times as far from ``neutral`` (strong intensity: gain > 1)."""
        changes = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float):
                changes[f.name] = getattr(neutral, f.name) + (value - getattr(neutral, f.name)) * gain
        return replace(self, **changes)


STYLES: dict[str, EmotionStyle] = {
    "neutral": EmotionStyle(0.0, 1.5, 4.0, 0.0, 1.2, 0.05, 0.05, 0.0,
                            0.0, 0.10, 1.00, 0.0, 0.0, 1.00, 0.0, 0.3, "fall"),
    "calm": EmotionStyle(-1.0, 1.0, 3.3, -3.0, 1.4, 0.08, 0.03, 0.0,
                         0.25, 0.05, 1.00, 0.0, 0.0, 0.75, 0.0, 0.2, "flat"),
    "happy": EmotionStyle(3.0, 5.0, 4.8, 3.0, 1.0, 0.05, 0.10, 0.0,
                          1.00, 0.35, 1.20, 0.3, 0.0, 0.80, 0.0, 0.6, "arch"),
    "sad": EmotionStyle(-2.0, 1.0, 2.8, -6.0, 1.6, 0.20, 0.05, 0.0,
                        -0.80, 0.05, 0.90, 0.1, 0.8, 0.60, 0.0, 0.15, "fall"),
    "angry": EmotionStyle(2.0, 3.5, 5.2, 6.0, 0.7, 0.03, 0.15, 0.0,
                          -0.40, 0.40, 1.10, -0.8, -1.0, 0.90, 0.0, 0.5, "fall"),
    "fearful": EmotionStyle(5.0, 3.0, 5.8, -1.0, 1.1, 0.15, 0.30, 0.35,
                            -0.30, 0.45, 1.10, 0.8, 0.6, 1.45, 0.0, 0.9, "tremble"),
    "disgust": EmotionStyle(-1.5, 2.5, 3.0, -1.0, 1.3, 0.10, 0.10, 0.0,
                            -0.50, 0.15, 0.85, -0.4, -0.3, 0.55, 0.8, 0.3, "fall-rise"),
    "surprised": EmotionStyle(6.0, 7.0, 4.3, 2.0, 1.0, 0.08, 0.08, 0.0,
                              0.0, 0.80, 0.80, 1.0, 0.2, 1.50, 0.0, 0.5, "rise"),
}
assert tuple(STYLES) == tuple(EMOTIONS.values())
STRONG_GAIN = 1.5


def emotion_style(emotion: str, strong: bool) -> EmotionStyle:
    style = STYLES[emotion]
    return style.intensified(STRONG_GAIN, STYLES["neutral"]) if strong else style


@dataclass(frozen=True)
class ActorTraits:
    """What makes one synthetic actor recognisable: voice and face."""

    male: bool
    base_f0: float          # Hz
    formant_scale: float    # vocal-tract length (female/smaller = higher formants)
    rate_factor: float
    expressiveness: float   # how strongly this actor shows emotion
    loudness: float         # dB
    face_rx: float          # head half-width, fraction of frame width
    face_aspect: float      # head height / width
    face_dx: float          # head centre offset, fraction of frame width
    face_dy: float          # fraction of frame height
    skin: tuple[int, int, int]        # BGR
    hair: tuple[int, int, int]
    background: tuple[int, int, int]
    eye_spacing: float


SKIN_TONES = ((185, 205, 240), (150, 180, 225), (120, 155, 205), (90, 125, 175), (60, 90, 140), (170, 195, 235))
HAIR_COLOURS = ((20, 20, 25), (30, 55, 90), (40, 90, 150), (150, 150, 155), (25, 35, 60))


def actor_traits(seed: int, actor: int) -> ActorTraits:
    """The traits of ``actor`` (1-based), the same whatever the number of actors generated."""
    rng = np.random.default_rng([seed, actor, 7919])
    male = actor % 2 == 1
    base = 115.0 if male else 210.0
    skin = np.array(SKIN_TONES[int(rng.integers(len(SKIN_TONES)))]) + rng.integers(-12, 13, 3)
    hair = HAIR_COLOURS[int(rng.integers(len(HAIR_COLOURS)))]
    background = rng.integers(40, 200, 3)
    return ActorTraits(
        male=male,
        base_f0=float(base * 2 ** (rng.normal(0, 1.5) / 12)),
        formant_scale=float((1.0 if male else 1.15) * rng.uniform(0.95, 1.05)),
        rate_factor=float(rng.uniform(0.88, 1.12)),
        expressiveness=float(rng.uniform(0.75, 1.25)),
        loudness=float(rng.normal(0, 2.0)),
        face_rx=float(rng.uniform(0.22, 0.30)),
        face_aspect=float(rng.uniform(1.15, 1.35)),
        face_dx=float(rng.uniform(-0.08, 0.08)),
        face_dy=float(rng.uniform(-0.05, 0.05)),
        skin=tuple(int(v) for v in np.clip(skin, 0, 255)),
        hair=tuple(int(v) for v in hair),
        background=tuple(int(v) for v in background),
        eye_spacing=float(rng.uniform(0.36, 0.46)),
    )


def take_style(style: EmotionStyle, actor: ActorTraits, rng: np.random.Generator) -> EmotionStyle:
    """The emotion as this actor delivers it in one take: scaled by expressiveness, then jittered."""
    shown = style.intensified(actor.expressiveness, STYLES["neutral"])
    return replace(
        shown,
        pitch=shown.pitch + rng.normal(0, 1.2),
        pitch_range=max(0.3, shown.pitch_range * rng.uniform(0.7, 1.3)),
        rate=shown.rate * actor.rate_factor * rng.uniform(0.85, 1.15),
        loudness=shown.loudness + actor.loudness + rng.normal(0, 2.5),
        tilt=shown.tilt + rng.normal(0, 0.15),
        breath=max(0.0, shown.breath * rng.uniform(0.6, 1.4)),
        smile=shown.smile + rng.normal(0, 0.15),
        mouth_open=max(0.0, shown.mouth_open + rng.normal(0, 0.06)),
        brow_raise=shown.brow_raise + rng.normal(0, 0.15),
        brow_tilt=shown.brow_tilt + rng.normal(0, 0.15),
        eye_open=max(0.2, shown.eye_open * rng.uniform(0.85, 1.15)),
    )
