# A node used in two places: b feeds both e and m, so b.grad is the sum of two contributions.
a = Value(2.0, label='a')
b = Value(-3.0, label='b')
c = Value(10.0, label='c')
e = a*b
m = b + c
L = e * m
L
