from typing import List


def balance(operations: List[float]) -> float:
    """The balance after every deposit (positive) and withdrawal (negative), starting at zero."""
    return sum(operations)


def below_zero(operations: List[float]) -> bool:
    """True when the balance, starting at zero, ever falls below zero."""
    total = 0
    for op in operations:
        total += op
        if total <= 0:
            return True
    return False
