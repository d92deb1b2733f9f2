# A bug hunt: a small graph that gives every kind of engine bug a place to show.
# b is used twice (by the first + and by the last one), x twice (by * and by exp), y twice (y*y).
x = Value(0.5, label='x')
w = Value(-1.5, label='w')
b = Value(2.0, label='b')
n = x*w + b
h = tanh(n)
e = exp(x)
d = h - e
y = 1 - d
L = y*y + b
L
