def average(values):
    total = 0
    for v in values
        total += v
    return total / len(values)


def count_positive(xs):
    n = 0
    for x in xs:
        if x > 0
            n += 1
    return n


def square(x):
    return x * x
