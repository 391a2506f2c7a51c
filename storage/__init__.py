"""Persistence. The only package that holds SQL."""
