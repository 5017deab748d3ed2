"""The languages packets are written in: one list, read by the loader, the models and every face.

Kept apart (and free of imports) so the CLI can offer the choice without loading the models.
"""

from __future__ import annotations

# English is the curriculum's own language (content/); each other one is an overlay in
# content/<code>/ with the same paths. The codes are what organization files write.
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
# What a person reads in a message about a language.
LANGUAGE_NAMES = {"en": "English", "fr": "French"}
