"""Fusion plugins: early concatenation, jointly trained trunks, stacking, and a fused-sequence LSTM."""
