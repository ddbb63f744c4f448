"""The interface speaks Spanish unless the person picks English with the language switch.

Django's LocaleMiddleware would follow the browser's Accept-Language header, so a
coordinator on a computer set up in English would get an English interface they never
asked for. Pages follow only the switch (the language cookie); API clients may still ask
for a language with Accept-Language, as HTTP clients expect.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware

API_PREFIX = "/api/"


class ChosenLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if not request.path.startswith(API_PREFIX):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)
