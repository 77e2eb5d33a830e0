# Independent solution, style "a class": one Network object does the work, the contract's functions
# wrap it. Written from the contract and the template alone. Each "# %% graded NAME" line starts
# the code of NAME's graded cell.

# %% graded load_data
def load_data():
    c1 = sio.loadmat('pointsClass1Week6.mat')['pointsClass1Week6']
    c2 = sio.loadmat('pointsClass2Week6.mat')['pointsClass2Week6']
    return np.vstack([c1, c2]), np.hstack([np.zeros(c1.shape[0]), np.ones(c2.shape[0])]).astype(int)

# %% graded sigmoid
def sigmoid(a):
    # tanh form: 1 / (1 + e^-a) = (1 + tanh(a / 2)) / 2, and tanh never overflows
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(a, dtype=float)))

# %% graded sigmoid_grad
def sigmoid_grad(a):
    return 0.25 * (1.0 - np.tanh(0.5 * np.asarray(a, dtype=float)) ** 2)

# %% graded bce_loss
class Network:
    """A fully connected network on the flat parameter vector of the lab."""

    def __init__(self, layer_sizes, activation="sigmoid"):
        self.sizes = list(layer_sizes)
        self.activation = activation

    def hidden(self, A):
        return relu(A) if self.activation == "relu" else sigmoid(A)

    def hidden_prime(self, A):
        return relu_grad(A) if self.activation == "relu" else sigmoid_grad(A)

    def layers(self, W):
        return unpack(np.asarray(W, dtype=float), self.sizes)

    def forward(self, W, X):
        """Returns the list of pre-activations A_1..A_L and the list Z_0..Z_{L-1}."""
        A_list, Z_list = [], [np.asarray(X, dtype=float)]
        params = self.layers(W)
        for i, (Wl, bl) in enumerate(params):
            A = Z_list[-1] @ Wl.T + bl
            A_list.append(A)
            if i + 1 < len(params):
                Z_list.append(self.hidden(A))
        return A_list, Z_list

    def penalty(self, W, lam):
        return lam * sum(float(np.sum(Wl ** 2)) for Wl, _ in self.layers(W))

    def output_loss(self, A_out, t):
        """(mean data loss, dE/dA_out) for the output pre-activations."""
        a = A_out[:, 0]
        t = np.asarray(t, dtype=float).reshape(-1)
        loss = np.mean(np.logaddexp(0.0, -a) * t + np.logaddexp(0.0, a) * (1.0 - t))
        return loss, ((sigmoid(a) - t) / len(t)).reshape(-1, 1)

    def loss(self, W, X, t, lam):
        A_list, _ = self.forward(W, X)
        return float(self.output_loss(A_list[-1], t)[0] + self.penalty(W, lam))

    def loss_and_gradient(self, W, X, t, lam):
        A_list, Z_list = self.forward(W, X)
        data_loss, D = self.output_loss(A_list[-1], t)
        params = self.layers(W)
        grad = np.zeros(len(W))
        grad_layers = unpack(grad, self.sizes)
        for l in reversed(range(len(params))):
            Wl = params[l][0]
            grad_layers[l][0][:] = D.T @ Z_list[l] + 2.0 * lam * Wl
            grad_layers[l][1][:] = D.sum(axis=0)
            if l > 0:
                D = (D @ Wl) * self.hidden_prime(A_list[l - 1])
        return float(data_loss + self.penalty(W, lam)), grad


class SoftmaxNetwork(Network):
    def output_loss(self, A_out, t):
        t = np.asarray(t).astype(int).reshape(-1)
        Y = softmax(A_out)
        shifted = A_out - A_out.max(axis=1, keepdims=True)
        log_Y = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        N = len(t)
        T = np.eye(A_out.shape[1])[t]
        return -np.sum(log_Y * T) / N, (Y - T) / N


def bce_loss(W, X, t, layer_sizes, lam):
    return Network(layer_sizes).loss(W, X, t, lam)

# %% graded bce_grad
def bce_grad(W, X, t, layer_sizes, lam):
    return Network(layer_sizes).loss_and_gradient(W, X, t, lam)[1]

# %% graded init_weights
def init_weights(layer_sizes, rng):
    W = np.zeros(n_params(layer_sizes))
    for (Wl, bl), n_in, n_out in zip(unpack(W, layer_sizes), layer_sizes[:-1], layer_sizes[1:]):
        limit = np.sqrt(2 / (n_in + n_out))
        Wl[...] = rng.uniform(-limit, limit, size=Wl.shape)
    return W

# %% graded predict
def predict(W, X, layer_sizes):
    A_list, _ = Network(layer_sizes).forward(W, X)
    return (A_list[-1][:, 0] >= 0).astype(int)

# %% graded relu
def relu(a):
    a = np.asarray(a, dtype=float)
    return a * (a > 0)

# %% graded relu_grad
def relu_grad(a):
    return np.where(np.asarray(a) > 0, 1.0, 0.0)

# %% graded backprop
def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    return Network(layer_sizes, activation).loss_and_gradient(W, X, t, lam)

# %% graded load_data_multiclass
def load_data_multiclass():
    parts = [sio.loadmat(f'xWeek6Ex3PointsClass{k}.mat')[f'xWeek6Ex3PointsClass{k}'] for k in (1, 2, 3)]
    labels = [np.full(p.shape[0], k) for k, p in enumerate(parts)]
    return np.vstack(parts), np.concatenate(labels).astype(int)

# %% graded softmax
def softmax(A):
    A = np.asarray(A, dtype=float)
    E = np.exp(A - np.max(A, axis=1, keepdims=True))
    return E / np.sum(E, axis=1, keepdims=True)

# %% graded ce_backprop
def ce_backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    return SoftmaxNetwork(layer_sizes, activation).loss_and_gradient(W, X, t, lam)

# %% graded predict_multiclass
def predict_multiclass(W, X, layer_sizes):
    A_list, _ = SoftmaxNetwork(layer_sizes).forward(W, X)
    return np.argmax(A_list[-1], axis=1)
