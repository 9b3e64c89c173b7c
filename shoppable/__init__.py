"""Shoppable: backend for influencer-driven social commerce."""
