"""Settings for the benchmark's ceiling server: the gateway's own settings, with a one-view URLconf.

Everything else (middleware, authentication, throttling, renderers, database) is the gateway's, so the
ceiling is what Django and DRF cost on this stack before the API does any work of its own.
"""

from gateway.settings import *  # noqa: F403

ROOT_URLCONF = "tests.benchmarks.ceiling_urls"
