"""Gradients that are not backpropagation (finite differences of the notebook's own, correct loss,
in the ways students write them), and correct backprop in its slowest honest form (loops over
samples, units and weights): the cases assignment/kit/backprop_evidence.py must tell apart.

Each is a variant of an independent solution (tests/grader/independent_solutions.py): the
solution's cells, then one cell that redefines bce_grad and backprop.
"""
from reference.activations import ACTIVATIONS, get_activation
from tests.grader.independent_solutions import variant

# g(A) of every registered hidden activation, as the cells below compute it (numpy on arrays, real or
# complex): the reference's registry writes each one's numpy source, so a new activation needs nothing here
HIDDEN = "HIDDEN = {" + ", ".join(f"{name!r}: lambda A: {get_activation(name).numpy_source}"
                                   for name in ACTIVATIONS) + "}\n"

# any-depth loss of the einsum solution, for the finite-difference variants built on it
EINSUM_LOSS = '''
def any_depth_loss(W, X, t, layer_sizes, lam, activation="sigmoid"):
    params, As, _ = run_forward(W, X, layer_sizes, activation)
    return float(binary_ce(As[-1][:, 0], t) + l2(params, lam))
'''

# the template's own numerical_gradient (central differences, eps 1e-6), wrapped as the gradient
FD_TEMPLATE_HELPER = EINSUM_LOSS + '''
def bce_grad(W, X, t, layer_sizes, lam):
    return numerical_gradient(lambda w: bce_loss(w, X, t, layer_sizes, lam), W)


def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    loss = lambda w: any_depth_loss(w, X, t, layer_sizes, lam, activation)
    return loss(W), numerical_gradient(loss, W)
'''

# scipy's forward differences (step sqrt(machine epsilon)) through the class solution's methods
FD_SCIPY_FORWARD = '''
from scipy.optimize import approx_fprime


def bce_grad(W, X, t, layer_sizes, lam):
    return approx_fprime(np.asarray(W, dtype=float), bce_loss, 1.4901161193847656e-08, X, t, layer_sizes, lam)


def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    net = Network(layer_sizes, activation)
    grad = np.zeros(len(W))
    base = net.loss(W, X, t, lam)
    for i in range(len(W)):
        step = np.zeros(len(W))
        step[i] = 1e-7
        grad[i] = (net.loss(W + step, X, t, lam) - base) / 1e-7
    return base, grad
'''

# central differences of every coordinate at once: all 2P perturbed networks in one batched
# forward pass, no function of the notebook called with a perturbed W; step 1e-4
FD_VECTORIZED = HIDDEN + '''
def batched_loss(Ws, X, t, layer_sizes, lam, activation="sigmoid"):
    """Loss of each row of Ws (B, P) on (X, t): (B,)."""
    B = Ws.shape[0]
    Z = np.broadcast_to(X, (B,) + X.shape)
    k, penalty = 0, 0.0
    for l, (n_in, n_out) in enumerate(zip(layer_sizes, layer_sizes[1:])):
        Wl = Ws[:, k:k + n_in * n_out].reshape(B, n_out, n_in)
        k += n_in * n_out
        bl = Ws[:, k:k + n_out]
        k += n_out
        penalty = penalty + lam * np.sum(Wl ** 2, axis=(1, 2))
        A = np.einsum("bni,bji->bnj", Z, Wl) + bl[:, None, :]
        if l < len(layer_sizes) - 2:
            Z = HIDDEN[activation](A)
    a = A[:, :, 0]
    return np.mean(np.logaddexp(0, a) - t * a, axis=1) + penalty


def fd_gradient(W, X, t, layer_sizes, lam, activation="sigmoid", h=1e-4):
    W = np.asarray(W, dtype=float)
    E = h * np.eye(W.size)
    return (batched_loss(W + E, X, t, layer_sizes, lam, activation)
            - batched_loss(W - E, X, t, layer_sizes, lam, activation)) / (2 * h)


def bce_grad(W, X, t, layer_sizes, lam):
    return fd_gradient(W, X, t, layer_sizes, lam)


def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    W = np.asarray(W, dtype=float)
    return float(batched_loss(W[None, :], X, t, layer_sizes, lam, activation)[0]), fd_gradient(W, X, t, layer_sizes, lam, activation)
'''

# central differences with a step relative to each weight and the loss written inside the gradient
# function (no function of the notebook sees a perturbed W, and a relative step has the same
# truncation error at the amplified point): only the cost could show it, and the cost alone
# never decides. The one finite-difference form the grader is known to miss.
FD_RELATIVE_INLINE = HIDDEN + '''
def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    def inline_loss(V):
        Z, k, penalty = X, 0, 0.0
        for l, (n_in, n_out) in enumerate(zip(layer_sizes, layer_sizes[1:])):
            Vl = V[k:k + n_in * n_out].reshape(n_out, n_in)
            k += n_in * n_out
            A = Z @ Vl.T + V[k:k + n_out]
            k += n_out
            penalty += lam * np.sum(Vl ** 2)
            if l < len(layer_sizes) - 2:
                Z = HIDDEN[activation](A)
        a = A[:, 0]
        return np.mean(np.logaddexp(0, a) - t * a) + penalty

    W = np.array(W, dtype=float)
    grad = np.zeros_like(W)
    for i in range(W.size):
        h = 1e-6 * max(abs(W[i]), 1e-3)
        keep = W[i]
        W[i] = keep + h
        up = inline_loss(W)
        W[i] = keep - h
        down = inline_loss(W)
        W[i] = keep
        grad[i] = (up - down) / (2 * h)
    return float(inline_loss(W)), grad


def bce_grad(W, X, t, layer_sizes, lam):
    return backprop(W, X, t, layer_sizes, lam)[1]
'''

# the complex step: Im(E(W + i h e_k)) / h, exact to rounding (no truncation error to see), through
# a loss helper written for complex weights
FD_COMPLEX_STEP = HIDDEN + '''
def complex_loss(V, X, t, layer_sizes, lam, activation="sigmoid"):
    Z, k, penalty = X, 0, 0.0
    for l, (n_in, n_out) in enumerate(zip(layer_sizes, layer_sizes[1:])):
        Vl = V[k:k + n_in * n_out].reshape(n_out, n_in)
        k += n_in * n_out
        A = Z @ Vl.T + V[k:k + n_out]
        k += n_out
        penalty = penalty + lam * np.sum(Vl * Vl)
        if l < len(layer_sizes) - 2:
            Z = HIDDEN[activation](A)
    a = A[:, 0]
    return np.mean(np.log(1 + np.exp(a)) - t * a) + penalty


def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    W = np.asarray(W, dtype=float)
    grad = np.zeros(W.size)
    for k in range(W.size):
        V = W.astype(complex)
        V[k] += 1e-30j
        grad[k] = complex_loss(V, X, t, layer_sizes, lam, activation).imag / 1e-30
    return float(complex_loss(W, X, t, layer_sizes, lam, activation).real), grad


def bce_grad(W, X, t, layer_sizes, lam):
    return backprop(W, X, t, layer_sizes, lam)[1]
'''

# correct backprop, the handout's per-unit equations as loops over samples, units and weights
# (no array operation inside the loops): as slow as honest code gets; the loss stays vectorized
BACKPROP_PER_WEIGHT_LOOPS = '''
def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    W = np.asarray(W, dtype=float)
    layers = unpack(W, layer_sizes)
    grad = np.zeros_like(W)
    grads = unpack(grad, layer_sizes)
    g = lambda a: float(globals()[activation](a))              # the notebook's own g and g'
    g_prime = lambda a: float(globals()[f"{activation}_grad"](a))
    N = len(X)
    loss = 0.0
    for n in range(N):
        zs, as_ = [list(X[n])], []
        for Wl, bl in layers:
            a = [sum(Wl[j, i] * zs[-1][i] for i in range(len(zs[-1]))) + bl[j] for j in range(len(bl))]
            as_.append(a)
            zs.append([g(v) for v in a])
        y = float(sigmoid(as_[-1][0]))
        loss += float(np.logaddexp(0, as_[-1][0]) - t[n] * as_[-1][0])
        deltas = [y - t[n]]
        for l in range(len(layers) - 1, -1, -1):
            Wl = layers[l][0]
            G, gb = grads[l]
            for j in range(len(deltas)):
                gb[j] += deltas[j] / N
                for i in range(len(zs[l])):
                    G[j, i] += deltas[j] * zs[l][i] / N
            if l > 0:
                deltas = [g_prime(as_[l - 1][i]) * sum(Wl[k, i] * deltas[k] for k in range(len(deltas)))
                          for i in range(Wl.shape[1])]
    for Wl, (G, _) in zip((Wl for Wl, _ in layers), grads):
        G += 2 * lam * Wl
    return loss / N + lam * sum(np.sum(Wl ** 2) for Wl, _ in layers), grad


def bce_grad(W, X, t, layer_sizes, lam):
    return backprop(W, X, t, layer_sizes, lam)[1]
'''

# correct backprop (the einsum solution's) that hands a per-sample helper a float32-rounded copy
# of W: "perturbed" copies, N of them whatever P, which the count must not take for differences
BACKPROP_ROUNDED_COPIES = '''
_einsum_backprop = backprop


def sample_check(V, x):
    return float(np.sum(V[:2] * x))


def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
    rounded = np.asarray(W, dtype=float).astype(np.float32).astype(float)
    for x in X:
        sample_check(rounded, x)
    return _einsum_backprop(W, X, t, layer_sizes, lam, activation)


def bce_grad(W, X, t, layer_sizes, lam):
    return backprop(W, X, t, layer_sizes, lam)[1]
'''

FINITE_DIFFERENCES = {
    "fd_template_helper": ("einsum", FD_TEMPLATE_HELPER),
    "fd_scipy_forward": ("network_class", FD_SCIPY_FORWARD),
    "fd_vectorized": ("scipy_special", FD_VECTORIZED),
    "fd_complex_step": ("loops", FD_COMPLEX_STEP),
}
# finite differences the grader does not claim to catch (see FD_RELATIVE_INLINE)
KNOWN_MISSES = {"fd_relative_inline": ("loops", FD_RELATIVE_INLINE)}
SLOW_BACKPROP = {"backprop_per_weight_loops": ("einsum", BACKPROP_PER_WEIGHT_LOOPS),
                 "backprop_rounded_copies_per_sample": ("einsum", BACKPROP_ROUNDED_COPIES)}


def build(name):
    """The notebook of one case of FINITE_DIFFERENCES, KNOWN_MISSES or SLOW_BACKPROP."""
    style, extra = {**FINITE_DIFFERENCES, **KNOWN_MISSES, **SLOW_BACKPROP}[name]
    return variant(style, extra=extra)
