"""The self-hosted account: user, subscription (unlimited) and character usage statistics."""
