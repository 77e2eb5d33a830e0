"""The training proxy: does a diagnosed mistake explain a failed training?

Failed training tests get ``extra["training_proxy"]`` when the same exercise's values tests were
diagnosed: the reference network with the diagnosed mistake put in is trained in the grader's
process, from the same initializations, to tell whether that mistake explains the failed
training. Nothing is sent into the submission's kernel: the reference's gradient never reaches
the sandbox.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Mapping

import numpy as np

from reference.training import METHOD, OPTIONS, SETUPS

from .mistake import MistakeCatalog
from .reference_runs import accuracy_of, reference_training, training_data, training_inits
from .simulator import LOSS_FUNCTIONS, REFERENCE, loss_and_grad
from .training import training_probe_id

log = logging.getLogger(__name__)

TRAINING_PROXY_BUDGET = 15.0  # seconds for all training simulations of one run


def training_proxy(run: Any, exercise: str, diagnosed: dict, budget: float) -> dict | None:
    """Train the reference network with a diagnosed mistake put in, from the grader's initializations,
    in the grader's process (the submission's kernel never sees the reference).

    diagnosed: {(mistake, form): {"loss", "grad"}}: which parts of the submission showed the mistake
    (its loss, its gradient or both); the other part stays the reference's -- a swap of the
    submission's parts for the reference's, simulated with the diagnosed variant.
    Returns {"mistake", "parts", "accuracy", "target", "explains", "timed_out"} or None.
    """
    usable = [(m, f, parts) for (m, f), parts in diagnosed.items()
              if set(m.functions) & set(LOSS_FUNCTIONS)]
    if not usable or exercise not in SETUPS:
        return None
    mistake, form, parts = usable[0]      # the most likely one (the order of the tests' diagnoses)
    pieces = mistake.forms[form]
    setup = SETUPS[exercise]
    X, t = training_data(exercise)
    sizes = list(setup.layer_sizes)
    target = reference_training(exercise, run.config.train_restarts)[0] - run.config.tolerances.accuracy_margin
    deadline = time.monotonic() + budget

    class _Stop(Exception):
        pass

    def objective(W, state):
        if time.monotonic() > deadline:
            raise _Stop
        state["W"], state["calls"] = np.array(W, dtype=float), state["calls"] + 1
        if state["calls"] % 10 == 0 and accuracy_of(state["W"], exercise) >= target:
            raise _Stop
        with np.errstate(all="ignore"):
            loss_m, grad_m = loss_and_grad(pieces, W, X, t, sizes, setup.lam, setup.activation, setup.loss)
            loss_r, grad_r = loss_and_grad(REFERENCE, W, X, t, sizes, setup.lam, setup.activation, setup.loss)
        loss = loss_m if "loss" in parts else loss_r
        grad = grad_m if "grad" in parts else grad_r
        return (loss if np.isfinite(loss) else 1e300), np.nan_to_num(grad)

    from scipy.optimize import minimize      # 0.25 s to import: only a diagnosis that trains needs it
    best = 0.0
    for W0 in training_inits(exercise, run.config.train_restarts):
        state = {"W": np.array(W0, dtype=float), "calls": 0}
        try:
            state["W"] = minimize(objective, state["W"], args=(state,), jac=True, method=METHOD,
                                  options=dict(OPTIONS)).x
        except _Stop:
            pass
        best = max(best, accuracy_of(state["W"], exercise))
        if best >= target or time.monotonic() > deadline:
            break
    return {"mistake": mistake.id, "parts": sorted(parts), "accuracy": best, "target": target,
            "explains": best < target, "timed_out": best < target and time.monotonic() > deadline}


def annotate_training_proxies(run: Any, training: list, shown: dict, catalog: MistakeCatalog,
                              training_functions: Mapping[str, tuple[str, ...]]) -> None:
    """Give each failed training test of ``training`` [(test, trained network)] the proxy of the
    mistakes ``shown`` {contract function: {(mistake, form): {"loss", "grad"}}} in the functions it
    is trained with (``training_functions``), within :data:`TRAINING_PROXY_BUDGET` seconds."""
    deadline = time.monotonic() + TRAINING_PROXY_BUDGET
    if run.budget is not None:
        deadline = min(deadline, run.budget.diagnose_deadline)
    for test, exercise in training:
        diagnosed = {}
        for func in training_functions.get(exercise, ()):
            for key, parts in shown.get(func, {}).items():
                diagnosed.setdefault(key, set()).update(parts)
        outcome = run.probe_outcomes.get(training_probe_id(exercise))
        # only when training ran and fell short: an error or a missing function says more than a proxy
        if not diagnosed or outcome is None or not outcome.ok or time.monotonic() > deadline:
            continue
        try:
            proxy = training_proxy(run, exercise, diagnosed, deadline - time.monotonic())
        except Exception as error:
            log.warning("training proxy for %s failed", exercise, exc_info=True)
            test.extra["diagnosis_error"] = f"{type(error).__name__}: {error}"[:300]
            continue
        if proxy is None:
            continue
        test.extra["training_proxy"] = proxy
        mistake = catalog.get(proxy["mistake"])
        if proxy["explains"]:
            line = (f"The reference network with the same mistake ({mistake.name}) also trains only to accuracy "
                    f"{proxy['accuracy']:.3f} from these initializations: fixing it should fix training.")
        elif proxy["timed_out"]:
            continue
        else:
            line = (f"The reference network with the same mistake ({mistake.name}) still reaches accuracy "
                    f"{proxy['accuracy']:.3f}: that mistake alone does not explain the failed training; "
                    "look at speed, or at what else differs.")
        tag = f"mistake:{mistake.id}"
        if proxy["explains"] and tag not in test.tags:
            test.tags.append(tag)
        test.hint = "\n".join(part for part in (line, test.hint) if part)
