"""Video extractors: frame sampling, face cropping and per-frame face features."""
