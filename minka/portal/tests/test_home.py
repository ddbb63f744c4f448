import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_counts_territories_by_level(client, tree):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    [peru] = response.context["countries"]
    assert peru.counts == {"region": 2, "province": 2, "district": 3}


def test_home_is_spanish_even_for_an_english_browser_until_english_is_chosen(client, tree):
    spanish = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()
    assert 'lang="es"' in spanish
    assert "3 distritos" in spanish
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("portal:home")).content.decode()
    assert 'lang="en"' in english
    assert "3 districts" in english


def test_the_stylesheet_and_icon_the_layout_links_are_served(client, tree):
    html = client.get(reverse("portal:home")).content.decode()
    for asset in ("/static/minka/minka.css", "/static/minka/favicon.svg"):
        assert asset in html
        assert finders.find(asset.removeprefix("/static/")) is not None
