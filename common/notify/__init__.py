"""Notifications: email, SMS (twilio) and push (pushbullet.py), deduplicated per condition.

Importing this package is cheap; the channel libraries and jinja2 load only when
something is really sent.
"""
