"""Small decisions of the site's view: page names, seed systems, modalities."""

from __future__ import annotations

from avbench.leaderboard.site.config_info import modality
from avbench.leaderboard.site.view import page_name, seed_system


def test_page_names_are_safe_files_and_two_experiments_never_share_one():
    assert page_name("ravdess-mfcc-svm") == "ravdess-mfcc-svm.html"
    odd = [page_name(n) for n in ("a/b", "a_b", "a b", "../x", "é")]
    assert len(set(odd)) == len(odd) and "a_b.html" in odd
    assert all("/" not in n and not n.startswith(".") and n.isascii() for n in odd)


def test_the_seed_system_comes_from_a_seed_texts_source_only():
    assert seed_system({"reported_source": "demokritos2022 (text 001)"}) == "demokritos2022"
    assert seed_system({"reported_source": "Luna-Jiménez et al. 2022, bi-LSTM"}) == "none"
    assert seed_system({}) == "none"


def test_audio_and_video_branches_make_an_audio_visual_row():
    assert modality(["audio", "video"]) == "audio-visual"
    assert modality(["video", "video"]) == "video"
    assert modality(["audio", "text"]) == "audio + text"
