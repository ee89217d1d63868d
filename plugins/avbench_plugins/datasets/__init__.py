"""Dataset plugins: corpus readers (RAVDESS, CREMA-D, RML) and the embedded synthetic demo set."""
