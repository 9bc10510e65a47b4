"""The REST channel, a module per resource: validate, store first, call the write path or a selector, respond."""
