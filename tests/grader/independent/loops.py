# Independent solution, style "per-sample loops": the handout's recipe, one sample at a time
# (delta_k = y_k - t_k, delta_j = sigma'(a_j) sum_k w_kj delta_k), written from the contract and
# the template alone. Each "# %% graded NAME" line starts the code of NAME's graded cell.

# %% graded load_data
def load_data():
    class1 = sio.loadmat('pointsClass1Week6.mat')['pointsClass1Week6']
    class2 = sio.loadmat('pointsClass2Week6.mat')['pointsClass2Week6']
    X = np.concatenate((class1, class2), axis=0).astype(float)
    t = np.array([0] * len(class1) + [1] * len(class2), dtype=int)
    return X, t

# %% graded sigmoid
def sigmoid(a):
    a = np.asarray(a, dtype=float)
    out = np.empty_like(a)
    pos = a >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-a[pos]))
    ea = np.exp(a[~pos])
    out[~pos] = ea / (1.0 + ea)
    if out.ndim == 0:
        return float(out)
    return out

# %% graded sigmoid_grad
def sigmoid_grad(a):
    s = sigmoid(a)
    return s * (1 - s)

# %% graded bce_loss
def sample_forward(layers, x, g):
    """Forward pass of ONE sample x (n0,): lists of pre-activations a_l and outputs z_l."""
    zs = [x]
    as_ = []
    for l, (Wl, bl) in enumerate(layers):
        a = Wl @ zs[-1] + bl
        as_.append(a)
        if l < len(layers) - 1:
            zs.append(g(a))
    return as_, zs


def log_sig(a):
    """log(sigmoid(a)) without overflow."""
    return -np.logaddexp(0.0, -a)


def l2_penalty(layers, lam):
    total = 0.0
    for Wl, bl in layers:
        total = total + lam * np.sum(Wl * Wl)
    return total


def bce_loss(W, X, t, layer_sizes, lam):
    layers = unpack(np.asarray(W, dtype=float), layer_sizes)
    N = len(X)
    total = 0.0
    for n in range(N):
        as_, zs = sample_forward(layers, X[n], sigmoid)
        a_out = as_[-1][0]
        total += t[n] * log_sig(a_out) + (1 - t[n]) * log_sig(-a_out)
    return float(-total / N + l2_penalty(layers, lam))

# %% graded bce_grad
def sample_backward(layers, grads, as_, zs, delta, g_prime, scale):
    """Add scale * dE_n/dW of one sample into grads (per-layer views), from the output delta down."""
    for l in range(len(layers) - 1, -1, -1):
        G, gb = grads[l]
        G += scale * np.outer(delta, zs[l])
        gb += scale * delta
        if l > 0:
            Wl = layers[l][0]
            # delta_j = g'(a_j) * sum_k w_kj delta_k
            delta = g_prime(as_[l - 1]) * (Wl.T @ delta)


def bce_grad(W, X, t, layer_sizes, lam):
    W = np.asarray(W, dtype=float)
    layers = unpack(W, layer_sizes)
    grad = np.zeros(W.shape)
    grads = unpack(grad, layer_sizes)
    N = len(X)
    for n in range(N):
        as_, zs = sample_forward(layers, X[n], sigmoid)
        y = sigmoid(as_[-1])
        delta = y - t[n]
        sample_backward(layers, grads, as_, zs, delta, sigmoid_grad, 1.0 / N)
    for (Wl, bl), (G, gb) in zip(layers, grads):
        G += 2 * lam * Wl
    return grad

# %% graded init_weights
def init_weights(layer_sizes, rng):
    pieces = []
    for l in range(1, len(layer_sizes)):
        e = np.sqrt(2.0 / (layer_sizes[l - 1] + layer_sizes[l]))
        pieces.append(rng.uniform(-e, e, size=layer_sizes[l] * layer_sizes[l - 1]))
        pieces.append(np.zeros(layer_sizes[l]))
    return np.concatenate(pieces)

# %% graded predict
def predict(W, X, layer_sizes):
    layers = unpack(np.asarray(W, dtype=float), layer_sizes)
    labels = np.zeros(len(X), dtype=int)
    for n in range(len(X)):
        as_, zs = sample_forward(layers, X[n], sigmoid)
        if sigmoid(as_[-1][0]) >= 0.5:
            labels[n] = 1
    return labels

# %% graded relu
def relu(a):
    return np.maximum(a, 0.0)

# %% graded relu_grad
def relu_grad(a):
    return (np.asarray(a) > 0).astype(float)

# %% graded backprop
def loop_backprop(W, X, t, layer_sizes, lam, activation, output):
    """(loss, gradient), one sample at a time; output(a_out, t_n) gives the sample's loss and output delta."""
    if activation == "relu":
        g, g_prime = relu, relu_grad
    else:
        g, g_prime = sigmoid, sigmoid_grad
    W = np.asarray(W, dtype=float)
    layers = unpack(W, layer_sizes)
    grad = np.zeros(W.shape)
    grads = unpack(grad, layer_sizes)
    N = len(X)
    loss = 0.0
    for n in range(N):
        as_, zs = sample_forward(layers, X[n], g)
        loss_n, delta = output(as_[-1], t[n])
        loss += loss_n
        sample_backward(layers, grads, as_, zs, delta, g_prime, 1.0 / N)
    for (Wl, bl), (G, gb) in zip(layers, grads):
        G += 2 * lam * Wl
    return loss / N + l2_penalty(layers, lam), grad


def binary_output(a_out, t_n):
    loss_n = -(t_n * log_sig(a_out[0]) + (1 - t_n) * log_sig(-a_out[0]))
    return loss_n, sigmoid(a_out) - t_n


def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    return loop_backprop(W, X, t, layer_sizes, lam, activation, binary_output)

# %% graded load_data_multiclass
def load_data_multiclass():
    Xs, ts = [], []
    for k in range(1, 4):
        name = 'xWeek6Ex3PointsClass%d' % k
        pts = sio.loadmat(name + '.mat')[name]
        Xs.append(pts)
        ts.append(np.full(len(pts), k - 1, dtype=int))
    return np.concatenate(Xs).astype(float), np.concatenate(ts)

# %% graded softmax
def softmax(A):
    A = np.asarray(A, dtype=float)
    out = np.zeros_like(A)
    for n in range(A.shape[0]):
        e = np.exp(A[n] - np.max(A[n]))
        out[n] = e / np.sum(e)
    return out

# %% graded ce_backprop
def softmax_output(a_out, t_n):
    m = np.max(a_out)
    log_y = a_out - m - np.log(np.sum(np.exp(a_out - m)))
    target = np.zeros(len(a_out))
    target[t_n] = 1.0
    return -log_y[t_n], np.exp(log_y) - target


def ce_backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    return loop_backprop(W, X, t, layer_sizes, lam, activation, softmax_output)

# %% graded predict_multiclass
def predict_multiclass(W, X, layer_sizes):
    layers = unpack(np.asarray(W, dtype=float), layer_sizes)
    labels = np.zeros(len(X), dtype=int)
    for n in range(len(X)):
        as_, zs = sample_forward(layers, X[n], sigmoid)
        labels[n] = int(np.argmax(as_[-1]))
    return labels
