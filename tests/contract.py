"""The contract's tables (../shared/assignment-contract.md), copied here on purpose and only here:
the assignment, the template and the grader must match the contract, not whatever the reference
happens to accept. A new exercise is a change of the contract, and of this file (README, "How to
add an exercise"); every other test derives its exercises from the registries."""

# exercise id -> points, in notebook order
CONTRACT_POINTS = {"1a": 5, "1b": 10, "1c": 15, "1d": 15, "1e": 15, "bonus": 5, "2": 25, "3": 15}
BONUS = {"bonus"}

# function -> its signature, in notebook order
CONTRACT_SIGNATURES = {
    "load_data": "()",
    "sigmoid": "(a)",
    "sigmoid_grad": "(a)",
    "bce_loss": "(W, X, t, layer_sizes, lam)",
    "bce_grad": "(W, X, t, layer_sizes, lam)",
    "init_weights": "(layer_sizes, rng)",
    "predict": "(W, X, layer_sizes)",
    "relu": "(a)",
    "relu_grad": "(a)",
    "backprop": '(W, X, t, layer_sizes, lam, activation="sigmoid")',
    "load_data_multiclass": "()",
    "softmax": "(A)",
    "ce_backprop": '(W, X, t, layer_sizes, lam, activation="sigmoid")',
    "predict_multiclass": "(W, X, layer_sizes)",
}
