"""Every common check on every catalogue entry, each pair its own test id."""

import pytest

from recurrent_zoo import catalogue
from recurrent_zoo.testing import parametrize_with_checks


@parametrize_with_checks(catalogue())
def test_common(entry, check):
    if not check.applies_to(entry):
        pytest.skip(
            f"{check.name} needs tags {sorted(check.requires)}; {entry.name} has "
            f"{sorted(entry.tags)}"
        )
    check(entry)
