"""The one way a write page handles its form, in every app.

GET shows the form; a POST whose form is invalid shows why (400) and writes nothing; a
valid one calls `save` (which calls one service and answers, usually with a redirect), and
a refusal by the service (ValidationError) is shown on the form the same way, as errors of
the whole form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse


def form_submit(
    request: HttpRequest,
    form: Any,
    save: Callable[[dict[str, Any]], HttpResponse],
    show: Callable[[Any, int], HttpResponse],
) -> HttpResponse:
    if request.method != "POST":
        return show(form, 200)
    if not form.is_valid():
        return show(form, 400)
    try:
        return save(form.cleaned_data)
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return show(form, 400)
