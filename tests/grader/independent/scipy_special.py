# Independent solution, style "scipy.special": expit, logsumexp, log_expit and softmax from
# scipy.special do the numerics; a recursive backward pass. Written from the contract and the
# template alone. Each "# %% graded NAME" line starts the code of NAME's graded cell.

# %% graded load_data
from scipy.special import expit, log_expit, logsumexp
from scipy.special import softmax as scipy_softmax


def load_data():
    first = sio.loadmat('pointsClass1Week6.mat')['pointsClass1Week6']
    second = sio.loadmat('pointsClass2Week6.mat')['pointsClass2Week6']
    t = np.concatenate([np.zeros(first.shape[0], dtype=np.int64), np.ones(second.shape[0], dtype=np.int64)])
    return np.concatenate([first, second]), t

# %% graded sigmoid
def sigmoid(a):
    return expit(a)

# %% graded sigmoid_grad
def sigmoid_grad(a):
    return expit(a) * expit(-np.asarray(a, dtype=float))

# %% graded bce_loss
def weights_of(W, layer_sizes):
    return [Wl for Wl, _ in unpack(W, layer_sizes)]


def reg(W, layer_sizes, lam):
    return lam * sum(np.sum(np.square(Wl)) for Wl in weights_of(W, layer_sizes))


def activations_of(name):
    return (relu, relu_grad) if name == "relu" else (expit, sigmoid_grad)


def bce_loss(W, X, t, layer_sizes, lam):
    W = np.asarray(W, dtype=float)
    Z = X
    layers = unpack(W, layer_sizes)
    for Wl, bl in layers[:-1]:
        Z = expit(Z @ Wl.T + bl)
    a = (Z @ layers[-1][0].T + layers[-1][1])[:, 0]
    return float(-np.mean(t * log_expit(a) + (1 - t) * log_expit(-a)) + reg(W, layer_sizes, lam))

# %% graded bce_grad
def grad_through(layers, Z, top_delta, g, g_prime, depth=0):
    """Gradients of layers[depth:] given their input Z, by recursion: the layer above hands its
    delta back down. top_delta(A_L) gives the output delta. Returns (list of (G_l, g_l), delta of Z's pre-activation factor)."""
    Wl, bl = layers[depth]
    A = Z @ Wl.T + bl
    if depth == len(layers) - 1:
        D = top_delta(A)
    else:
        above, back = grad_through(layers, g(A), top_delta, g, g_prime, depth + 1)
        D = back * g_prime(A)
        return [(D.T @ Z, D.sum(axis=0))] + above, D @ Wl
    return [(D.T @ Z, D.sum(axis=0))], D @ Wl


def assemble(W, layer_sizes, lam, pieces):
    grad = np.zeros_like(W)
    for (G, g), (Gv, gv), (Wl, _) in zip(pieces, unpack(grad, layer_sizes), unpack(W, layer_sizes)):
        Gv[:] = G + 2 * lam * Wl
        gv[:] = g
    return grad


def binary_backprop(W, X, t, layer_sizes, lam, activation):
    W = np.asarray(W, dtype=float)
    t = np.asarray(t, dtype=float)
    g, g_prime = activations_of(activation)
    N = X.shape[0]
    value = {}

    def output_delta(A):
        a = A[:, 0]
        value["loss"] = -np.mean(t * log_expit(a) + (1 - t) * log_expit(-a))
        return ((expit(a) - t) / N).reshape(N, 1)

    pieces, _ = grad_through(unpack(W, layer_sizes), X, output_delta, g, g_prime)
    return float(value["loss"] + reg(W, layer_sizes, lam)), assemble(W, layer_sizes, lam, pieces)


def bce_grad(W, X, t, layer_sizes, lam):
    return binary_backprop(W, X, t, layer_sizes, lam, "sigmoid")[1]

# %% graded init_weights
def init_weights(layer_sizes, rng):
    W = np.empty(n_params(layer_sizes))
    for l, (Wl, bl) in enumerate(unpack(W, layer_sizes), start=1):
        e = np.sqrt(2.0 / (layer_sizes[l - 1] + layer_sizes[l]))
        Wl[:] = rng.uniform(-e, e, Wl.shape)
        bl[:] = 0.0
    return W

# %% graded predict
def predict(W, X, layer_sizes):
    Z = X
    for Wl, bl in unpack(np.asarray(W, dtype=float), layer_sizes):
        Z = expit(Z @ Wl.T + bl)
    return (Z[:, 0] >= 0.5).astype(int)

# %% graded relu
def relu(a):
    return np.fmax(a, 0.0)

# %% graded relu_grad
def relu_grad(a):
    return np.greater(a, 0).astype(float)

# %% graded backprop
def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    return binary_backprop(W, X, t, layer_sizes, lam, activation)

# %% graded load_data_multiclass
def load_data_multiclass():
    X, t = [], []
    for k in range(3):
        key = f'xWeek6Ex3PointsClass{k + 1}'
        points = sio.loadmat(key + '.mat')[key]
        X.append(points)
        t += [k] * len(points)
    return np.concatenate(X), np.array(t, dtype=int)

# %% graded softmax
def softmax(A):
    return scipy_softmax(np.asarray(A, dtype=float), axis=1)

# %% graded ce_backprop
def ce_backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    W = np.asarray(W, dtype=float)
    t = np.asarray(t).astype(int)
    g, g_prime = activations_of(activation)
    N = X.shape[0]
    value = {}

    def output_delta(A):
        log_Y = A - logsumexp(A, axis=1, keepdims=True)
        value["loss"] = -np.mean(log_Y[np.arange(N), t])
        D = np.exp(log_Y)
        D[np.arange(N), t] -= 1
        return D / N

    pieces, _ = grad_through(unpack(W, layer_sizes), X, output_delta, g, g_prime)
    return float(value["loss"] + reg(W, layer_sizes, lam)), assemble(W, layer_sizes, lam, pieces)

# %% graded predict_multiclass
def predict_multiclass(W, X, layer_sizes):
    Z = X
    layers = unpack(np.asarray(W, dtype=float), layer_sizes)
    for Wl, bl in layers[:-1]:
        Z = expit(Z @ Wl.T + bl)
    return np.argmax(softmax(Z @ layers[-1][0].T + layers[-1][1]), axis=1)
