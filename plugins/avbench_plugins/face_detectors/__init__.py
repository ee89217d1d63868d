"""Face detector plugins (kind ``face_detector``) the video extractors crop faces with."""
