"""Thin clients for the outside services; each returns dataclasses and raises typed errors."""
