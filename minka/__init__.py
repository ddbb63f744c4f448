"""Minka: results-based territorial social management."""
