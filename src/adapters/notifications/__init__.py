"""Notifications over HTTP with httpx: a Teams workflow webhook's adaptive card, a generic webhook's CloudEvent."""
