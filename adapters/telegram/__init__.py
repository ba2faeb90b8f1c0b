"""Telegram: webhook or long polling in, PTB's Bot out, cards as HTML with inline keyboards."""
