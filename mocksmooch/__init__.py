"""mocksmooch: a test double of the Smooch / Sunshine Conversations API that enforces
the real service's authentication and authorization rules."""

__version__ = "0.1.0"
