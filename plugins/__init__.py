"""vaultkit's first-party passes, installed as `vaultkit_plugins` and registered by entry point."""
