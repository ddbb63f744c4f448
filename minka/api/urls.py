"""/api/v1/: ninja's routes (namespace "api"), then a JSON 404 for any other path."""

from django.urls import URLPattern, include, path, re_path

from minka.api.api import api
from minka.api.errors import json_method_not_allowed, json_not_found

_patterns, _app_name, _namespace = api.urls
for _pattern in _patterns:
    # ninja answers a wrong method with a plain-text 405; every API error is JSON.
    if isinstance(_pattern, URLPattern):
        _pattern.callback = json_method_not_allowed(_pattern.callback)

urlpatterns = [
    path("", include((_patterns, _app_name), namespace=_namespace)),
    re_path(r"^(?P<unmatched>.*)$", json_not_found),
]
