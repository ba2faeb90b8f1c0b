"""Slack: slack-bolt for inbound requests, slack_sdk for delivery, Block Kit for cards."""
