"""Utilities around the envs: demo, policies, video, window."""
