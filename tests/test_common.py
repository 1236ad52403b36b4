"""Every applicable common check on every catalogue entry, each pair its own test id."""

from recurrent_zoo import catalogue
from recurrent_zoo.testing import parametrize_with_checks


@parametrize_with_checks(catalogue())
def test_common(entry, check):
    check(entry)
