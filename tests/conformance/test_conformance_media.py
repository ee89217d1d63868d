"""The inputs the checks generate are what their descriptions say."""

from __future__ import annotations

import cv2
import numpy as np
import soundfile

from avbench.testing import media


def frames_of(path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    return count


def test_generated_audio_has_the_described_durations_and_content():
    durations = {case: soundfile.info(str(media.audio_file(case))).duration for case in media.AUDIO_CASES}
    assert durations == {"speech": 2.0, "short": 0.1, "silence": 2.0, "long": 30.0}
    silence, _ = soundfile.read(str(media.audio_file("silence")))
    speech, _ = soundfile.read(str(media.audio_file("speech")))
    assert not silence.any() and np.abs(speech).max() > 0.1


def test_generated_videos_have_the_described_frame_counts():
    assert frames_of(media.video_file("face")) == 50
    assert frames_of(media.video_file("no-face")) == 50
    assert frames_of(media.video_file("single-frame")) == 1


def test_the_face_video_shows_a_face_a_stock_detector_finds_and_the_blank_one_none():
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    image = media.face_image()
    assert image.photographic  # scikit-image is installed here
    face = cascade.detectMultiScale(cv2.cvtColor(image.frame, cv2.COLOR_BGR2GRAY), 1.1, 5)
    blank = cascade.detectMultiScale(cv2.cvtColor(media.blank_frames(1)[0], cv2.COLOR_BGR2GRAY), 1.1, 5)
    assert len(face) == 1 and len(blank) == 0


def test_generated_clips_carry_only_the_modality_they_test():
    assert set(media.clip("audio", "short").media) == {"audio"}
    assert set(media.clip("video", "no-face").media) == {"video"}
    assert set(media.standard_clip().media) == {"audio", "video"}
