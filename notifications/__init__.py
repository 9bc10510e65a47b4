"""The outbox: outbound messages, their transports (file, e-mail, webhook HTTP), signing and delivery.

Below ``procurement`` and the channels: it imports neither. A channel that must take part in a
delivery (rendering an X12 file, fanning an event out to webhook subscriptions, signing with a
subscription's secret) registers itself in ``notifications.registry`` from its ``AppConfig.ready()``.
"""
