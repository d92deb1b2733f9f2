# A 2-2-1 network on two points, labelled the way core.nn.MLP labels its nodes (L<layer>.N<neuron>.w<i>),
# so `g` in the debugger groups it by layer and neuron. Hinge loss: relu(1 - y * score), summed.
w000 = Value(0.5, label='L0.N0.w0')
w001 = Value(0.3, label='L0.N0.w1')
b00 = Value(0.1, label='L0.N0.b')
w010 = Value(-0.8, label='L0.N1.w0')
w011 = Value(0.4, label='L0.N1.w1')
b01 = Value(0.0, label='L0.N1.b')
w100 = Value(1.2, label='L1.N0.w0')
w101 = Value(-0.7, label='L1.N0.w1')
b10 = Value(0.2, label='L1.N0.b')

# point 1: x = (1.0, 2.0), y = +1
p1x0 = Value(1.0, label='x0[0]')
p1x1 = Value(2.0, label='x0[1]')
p1a0 = b00 + w000*p1x0 + w001*p1x1; p1a0.label = 'L0.N0.act'
p1h0 = relu(p1a0); p1h0.label = 'L0.N0.out'
p1a1 = b01 + w010*p1x0 + w011*p1x1; p1a1.label = 'L0.N1.act'
p1h1 = relu(p1a1); p1h1.label = 'L0.N1.out'
p1s = b10 + w100*p1h0 + w101*p1h1; p1s.label = 'L1.N0.out'
m1 = relu(1 - 1.0 * p1s); m1.label = 'margin0'

# point 2: x = (-1.5, 0.5), y = -1
p2x0 = Value(-1.5, label='x1[0]')
p2x1 = Value(0.5, label='x1[1]')
p2a0 = b00 + w000*p2x0 + w001*p2x1; p2a0.label = 'L0.N0.act'
p2h0 = relu(p2a0); p2h0.label = 'L0.N0.out'
p2a1 = b01 + w010*p2x0 + w011*p2x1; p2a1.label = 'L0.N1.act'
p2h1 = relu(p2a1); p2h1.label = 'L0.N1.out'
p2s = b10 + w100*p2h0 + w101*p2h1; p2s.label = 'L1.N0.out'
m2 = relu(1 - -1.0 * p2s); m2.label = 'margin1'

loss = m1 + m2
loss
