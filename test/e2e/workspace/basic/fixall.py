def mean(xs):
    return sum(xs) / len(xs


def clamp(x, lo, hi):
    return max(lo, min(x, hi)


def square(x):
    return x * x
