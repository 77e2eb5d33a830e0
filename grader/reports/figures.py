"""Decision-boundary figures for the feedback report (report stage).

Drawn in the grader's own process from weights the probes brought back
(``run.trained``), with the reference's forward pass:
no submission code runs here. Figures are built on a bare
:class:`matplotlib.figure.Figure` (Agg canvas), never registered with pyplot, so
nothing stays open between runs.
"""
import math
import re
import warnings
from pathlib import Path

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from assignment import TRAINED, label_of
from assignment.kit.plan import DEFAULT_ACTIVATION
from assignment.kit.reference_runs import data_set, network_labels
from reference import n_params

GRID_POINTS = 150               # per axis
FIGSIZE = (8.0, 3.9)            # inches; at DPI 80: 640 x 312 pixels, ~30 kB
DPI = 80
MARGIN = 0.1                    # fraction of the data range added around the points
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


def figure_name(key):
    """decision_boundary_ex<key>.png, with anything but letters, digits, - and _ replaced."""
    return "decision_boundary_ex" + re.sub(r"[^A-Za-z0-9_-]", "_", str(key)) + ".png"


def _sort_key(key):
    key = str(key)
    return (TRAINED.index(key) if key in TRAINED else len(TRAINED), key)


def fmt_accuracy(value):
    """0.975 or 97.5 -> "97.5%"; missing or non-finite -> "n/a"."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "n/a"
    if not math.isfinite(value):
        return "n/a"
    return f"{100 * value if value <= 1.0 else value:.1f}%"


def _grid(X):
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = MARGIN * np.maximum(hi - lo, 1e-3)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], GRID_POINTS)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], GRID_POINTS)
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy, np.column_stack([gx.ravel(), gy.ravel()])


def _regions(W, grid, layer_sizes, activation, multiclass):
    """Labels on the grid, or (None, reason) when the weights cannot be used."""
    if W is None:
        return None, "no trained network"
    try:
        W = np.asarray(W, dtype=float).ravel()
    except (TypeError, ValueError):
        return None, "weights are not numbers"
    expected = n_params(layer_sizes)
    if W.size != expected:
        return None, f"wrong number of weights ({W.size}, expected {expected})"
    if not np.all(np.isfinite(W)):
        return None, "weights contain NaN or inf"
    with np.errstate(all="ignore"):
        return network_labels(W, grid, layer_sizes, activation, multiclass), ""


def _panel(ax, title, X, t, gx, gy, labels, n_classes):
    """One panel: the regions a network assigns (when there are ``labels``) under the data points."""
    cmap = ListedColormap(COLORS[:n_classes])
    if labels is not None:       # one pixel per grid point: a fraction of contourf's cost
        ax.imshow(labels.reshape(gx.shape), origin="lower", extent=(gx.min(), gx.max(), gy.min(), gy.max()),
                  cmap=cmap, vmin=-0.5, vmax=n_classes - 0.5, alpha=0.3, interpolation="nearest", aspect="auto")
    ax.scatter(X[:, 0], X[:, 1], c=t, cmap=cmap, vmin=-0.5, vmax=n_classes - 0.5, s=7,
               edgecolors="k", linewidths=0.2)
    ax.set_xlim(gx.min(), gx.max())
    ax.set_ylim(gy.min(), gy.max())
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])


def _legend(fig, n_classes):
    """The classes' colours, once for both panels, below them: class k's points (label k - 1)."""
    handles = [Line2D([], [], linestyle="", marker="o", markersize=6, markerfacecolor=COLORS[k], markeredgecolor="k",
                      markeredgewidth=0.3) for k in range(n_classes)]
    fig.legend(handles, [f"class {k + 1} (label {k})" for k in range(n_classes)], loc="lower center",
               ncol=n_classes, fontsize=8, frameon=False, handletextpad=0.3, columnspacing=1.2)


def decision_boundary_figure(key, entry):
    """The :class:`Figure`: the submission's decision regions (left) beside the reference's (right), the
    data points on both, a legend of the classes below. A panel without a usable network shows the
    points alone and says why in its title, never over the points."""
    layer_sizes = [int(n) for n in entry["layer_sizes"]]
    multiclass = entry.get("loss") == "ce" or layer_sizes[-1] > 1
    activation = entry.get("activation") or DEFAULT_ACTIVATION
    X, t = entry.get("X"), entry.get("t")
    if X is None or t is None:
        X, t = data_set(multiclass)
    X = np.asarray(X, dtype=float).reshape(-1, 2)
    t = np.asarray(t).astype(int).ravel()
    n_classes = max(layer_sizes[-1], 2, int(t.max()) + 1 if t.size else 2)
    gx, gy, grid = _grid(X)

    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    panels = [
        ("Your network", entry.get("submission_W"), entry.get("submission_accuracy")),
        ("Reference", entry.get("reference_W"), entry.get("reference_accuracy")),
    ]
    for ax, (who, W, accuracy) in zip(axes, panels):
        labels, reason = _regions(W, grid, layer_sizes, activation, multiclass)
        title = f"{who}: {reason}" if labels is None else f"{who}: accuracy {fmt_accuracy(accuracy)}"
        _panel(ax, title, X, t, gx, gy, labels, n_classes)
    name = label_of(str(key))
    fig.suptitle(f"{name}: layers {layer_sizes}, {activation}", fontsize=10)
    _legend(fig, n_classes)
    fig.subplots_adjust(left=0.015, right=0.985, bottom=0.1, top=0.83, wspace=0.04)   # tight_layout costs 0.2 s
    return fig


def draw_decision_boundary(key, entry, path):
    """Save :func:`decision_boundary_figure` as the PNG ``path``; returns it."""
    decision_boundary_figure(key, entry).savefig(path, dpi=DPI)
    # no fig.clear(): it rebuilds every axis (0.1 s a figure); the figure is not in pyplot, so it is just freed
    return Path(path)


def warm_up():
    """Draw a tiny figure to memory: loads the Agg backend, the font cache and the PNG writer,
    so the report stage does not pay for them. Called in a thread while the notebook runs."""
    import io
    fig = Figure(figsize=(1, 1), dpi=20)
    ax = fig.subplots()
    ax.imshow(np.zeros((2, 2)), cmap=ListedColormap(COLORS[:2]))
    ax.scatter([0.0], [1.0], s=7)
    ax.set_title("warm-up", fontsize=10)
    fig.suptitle("warm-up", fontsize=10)
    fig.savefig(io.BytesIO(), format="png")


def decision_boundary_figures(run, out_dir, notes=None):
    """Write ``decision_boundary_ex<key>.png`` for every exercise in ``run.trained``.

    Returns the written paths in exercise order. When ``notes`` (a list) is given, an
    exercise whose figure fails adds a line to it and the others are still drawn;
    without it the first failure raises.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for key in sorted(run.trained or {}, key=_sort_key):
        path = out_dir / figure_name(key)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                paths.append(draw_decision_boundary(key, run.trained[key], path))
        except Exception as exc:
            if notes is None:
                raise
            notes.append(f"The decision-boundary figure for exercise {key} could not be drawn "
                         f"({type(exc).__name__}: {exc}).")
    return paths
