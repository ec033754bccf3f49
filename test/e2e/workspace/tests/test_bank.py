from bank import balance, below_zero


def test_balance():
    assert balance([10, -3, 5]) == 12


def test_no_operations():
    assert below_zero([]) is False


def test_first_withdrawal_overdraws():
    assert below_zero([-3]) is True


def test_overdrawn_by_cents():
    assert below_zero([0.5, -0.75]) is True


def test_overdrawn_later():
    assert below_zero([1, 2, -4, 5]) is True


def test_back_to_zero_is_not_below():
    assert below_zero([5, -5, 1]) is False
