"""The daily digest: each member's setting, and the recurring timer that sends it."""
