"""DingTalk (enterprise internal app robot): HTTP callbacks or Stream mode, interactive cards."""
