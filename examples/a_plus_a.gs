# The same node twice in one op: b = a + a, so a.grad = 1 + 1 = 2 (not 1).
a = Value(3.0, label='a')
b = a + a
b
