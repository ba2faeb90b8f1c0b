"""Urgent notices (DING): each recipient acknowledges; those who do not are re-pinged."""
