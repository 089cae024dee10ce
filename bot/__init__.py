"""Composition root and transports: the only package importing telegram, aiohttp, apscheduler."""
