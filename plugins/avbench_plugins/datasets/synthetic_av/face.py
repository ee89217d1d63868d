"""A drawn face whose brows, eyes and mouth show the emotion and whose jaw follows the voice.

Each frame is drawn with OpenCV primitives (anti-aliased): hair, head ellipse,
eyes with lids and irises, brows, nose, and a two-lip mouth whose corners carry
the smile/frown and whose opening is the resting opening plus the audio loudness
envelope at that frame.
"""

from __future__ import annotations

import numpy as np

from .styles import ActorTraits, EmotionStyle

SHIFT = 4                      # cv2 sub-pixel bits
SCALE = 1 << SHIFT


def _pt(x: float, y: float) -> tuple[int, int]:
    return int(round(x * SCALE)), int(round(y * SCALE))


_S = np.linspace(0, 1, 12)[:, None]
_BEZIER = np.hstack([(1 - _S) ** 2, 2 * (1 - _S) * _S, _S ** 2])  # quadratic Bernstein basis, [12, 3]


def _curve(p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float]) -> np.ndarray:
    """Points of the quadratic Bezier p0 -> p2 pulled toward p1 (sub-pixel fixed point)."""
    return np.round(_BEZIER @ (np.array((p0, p1, p2)) * SCALE)).astype(np.int32)


def draw_face(frame: np.ndarray, style: EmotionStyle, actor: ActorTraits, opening: float,
              offset: tuple[float, float], blink: float) -> None:
    """Draw one face into ``frame`` (BGR, modified in place).

    ``opening`` is the talking jaw opening (0..1) at this frame, ``offset`` the head
    displacement in pixels, ``blink`` how closed the eyelids are (0 open .. 1 shut).
    """
    import cv2

    h, w = frame.shape[:2]
    rx = actor.face_rx * w
    ry = rx * actor.face_aspect
    cx = w / 2 + actor.face_dx * w + offset[0]
    cy = h / 2 + actor.face_dy * h + offset[1] + 0.04 * h
    aa = cv2.LINE_AA

    # hair, then head
    cv2.ellipse(frame, _pt(cx, cy - 0.12 * ry), _pt(rx * 1.08, ry * 0.98), 0, 180, 360, actor.hair, -1, aa, SHIFT)
    cv2.ellipse(frame, _pt(cx, cy), _pt(rx, ry), 0, 0, 360, actor.skin, -1, aa, SHIFT)
    shade = tuple(int(c * 0.75) for c in actor.skin)
    cv2.ellipse(frame, _pt(cx, cy), _pt(rx, ry), 0, 0, 360, shade, 1, aa, SHIFT)

    # eyes
    eye_dx = actor.eye_spacing * rx
    eye_y = cy - 0.18 * ry
    eye_w = 0.2 * rx
    eye_h = 0.11 * ry * style.eye_open * (1 - blink)
    for side in (-1, 1):
        ex = cx + side * eye_dx
        if eye_h > 0.6:
            cv2.ellipse(frame, _pt(ex, eye_y), _pt(eye_w, eye_h), 0, 0, 360, (245, 245, 245), -1, aa, SHIFT)
            iris = min(eye_h, eye_w * 0.55)
            cv2.circle(frame, _pt(ex, eye_y), int(iris * SCALE), (60, 40, 30), -1, aa, SHIFT)
            cv2.ellipse(frame, _pt(ex, eye_y), _pt(eye_w, eye_h), 0, 0, 360, shade, 1, aa, SHIFT)
        else:
            cv2.line(frame, _pt(ex - eye_w, eye_y), _pt(ex + eye_w, eye_y), (50, 40, 40), 1, aa, SHIFT)

    # brows: raised/lowered as a whole, inner ends tilted up (sad, fear) or down (anger)
    brow_y = eye_y - 0.16 * ry - style.brow_raise * 0.08 * ry
    for side in (-1, 1):
        inner = (cx + side * eye_dx * 0.45, brow_y - style.brow_tilt * 0.06 * ry)
        outer = (cx + side * eye_dx * 1.5, brow_y + style.brow_tilt * 0.02 * ry)
        middle = ((inner[0] + outer[0]) / 2, min(inner[1], outer[1]) - 0.025 * ry)
        cv2.polylines(frame, [_curve(inner, middle, outer)], False, actor.hair, max(2, int(0.045 * ry)), aa, SHIFT)

    # nose
    nose_top, nose_tip = (cx, eye_y + 0.05 * ry), (cx + 0.03 * rx, cy + 0.18 * ry)
    cv2.line(frame, _pt(*nose_top), _pt(*nose_tip), shade, 1, aa, SHIFT)
    cv2.line(frame, _pt(*nose_tip), _pt(cx - 0.08 * rx, cy + 0.2 * ry), shade, 1, aa, SHIFT)

    # mouth: corners lift with the smile; the jaw opens with the voice; disgust raises one side of the upper lip
    mx, my = cx, cy + 0.45 * ry
    half = 0.3 * rx * style.mouth_width
    lift = -style.smile * 0.1 * ry
    open_px = (style.mouth_open + 0.6 * opening) * 0.16 * ry
    left, right = (mx - half, my + lift), (mx + half, my + lift)
    upper_ctrl = (mx - style.sneer * 0.35 * half, my - 0.35 * open_px - style.sneer * 0.06 * ry + 0.5 * lift)
    lower_ctrl = (mx, my + 1.6 * open_px - 0.6 * lift)
    upper = _curve(left, upper_ctrl, right)
    lower = _curve(right, lower_ctrl, left)
    lip = (70, 60, 170)
    if open_px > 0.8:
        cv2.fillPoly(frame, [np.vstack([upper, lower])], (40, 20, 60), aa, SHIFT)
    cv2.polylines(frame, [upper], False, lip, 2, aa, SHIFT)
    cv2.polylines(frame, [lower], False, lip, 2, aa, SHIFT)


def render_frames(style: EmotionStyle, actor: ActorTraits, envelope: np.ndarray, sample_rate: int,
                  fps: float, size: tuple[int, int], seconds: float, rng: np.random.Generator) -> list[np.ndarray]:
    """All frames of one take (BGR uint8), the jaw following ``envelope`` (per audio sample)."""
    width, height = size
    n = int(round(seconds * fps))
    times = (np.arange(n) + 0.5) / fps
    window = max(1, int(sample_rate / fps))
    idx = np.clip((times * sample_rate).astype(int), 0, len(envelope) - 1)
    opening = np.array([envelope[max(0, i - window // 2): i + window // 2 + 1].mean() for i in idx])

    drift = np.stack([np.cumsum(rng.normal(0, 1, n)), np.cumsum(rng.normal(0, 1, n))], axis=1)
    drift -= drift.mean(axis=0)
    drift *= style.head_motion * 0.036 * width / (np.abs(drift).max() + 1e-9)  # peak shift in pixels
    if style.contour == "tremble":
        drift[:, 0] += style.head_motion * 0.006 * width * np.sin(2 * np.pi * 9 * times)
    blink = np.zeros(n)
    if rng.random() < 0.7:
        at = int(rng.integers(0, max(1, n - 3)))
        blink[at:at + 3] = (0.6, 1.0, 0.6)[: len(blink[at:at + 3])]

    background = np.empty((height, width, 3), np.uint8)
    background[:] = actor.background
    ramp = np.linspace(-18, 18, height)[:, None, None]
    background = np.clip(background + ramp, 0, 255).astype(np.uint8)
    grain = np.round(rng.normal(0, 3.0, (height, width, 1))).astype(np.int16)  # the take's sensor noise pattern
    flicker = np.round(rng.normal(0, 1.5, n)).astype(np.int16)
    frames = []
    for i in range(n):
        frame = background.copy()
        draw_face(frame, style, actor, float(opening[i]), (float(drift[i, 0]), float(drift[i, 1])), float(blink[i]))
        frames.append(np.clip(frame.astype(np.int16) + grain + flicker[i], 0, 255).astype(np.uint8))
    return frames
