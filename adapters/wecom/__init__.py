"""WeCom (企业微信) self-built app: encrypted XML callbacks, template cards, active sends."""
