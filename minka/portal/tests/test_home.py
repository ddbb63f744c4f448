import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_counts_territories_by_level(client, tree):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    [peru] = response.context["countries"]
    assert peru.counts == {"region": 2, "province": 2, "district": 3}


def test_home_is_spanish_by_default_and_english_on_request(client, tree):
    assert 'lang="es"' in client.get(reverse("portal:home")).content.decode()
    english = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in english
    assert "3 districts" in english
