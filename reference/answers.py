"""Model answers to the handout's written questions (student_template.written_answers.QUESTIONS), by question id.

The example submission writes them in its answer cells, and the TAs' review page
(grader.classroom.answers_page) shows them above the students' answers.
"""

WRITTEN_ANSWERS = {
    "bonus-q": (
        "With the same backpropagation as for sigmoid hidden layers: only the derivative of the hidden "
        "activation changes. Going back one layer, $\\Delta_{l-1} = (\\Delta_l W_l) \\odot "
        "\\operatorname{relu}'(A_{l-1})$, where $\\operatorname{relu}'(a)$ is 1 where $a > 0$ and 0 where "
        "$a < 0$ (at $a = 0$ it is not defined; either value works). A unit that is off passes no gradient "
        "back, a unit that is on passes it unchanged. The output is still $p = \\sigma(A_L)$ with the binary "
        "cross-entropy, so $\\Delta_L = \\frac{1}{N}(p - t)$, and as before "
        "$\\partial E / \\partial W_l = \\Delta_l^\\top Z_{l-1} + 2\\lambda W_l$, "
        "$\\partial E / \\partial b_l = \\sum_n (\\Delta_l)_{n,:}$."
    ),
    "3-q": (
        "Give the network $K$ outputs and a softmax, $Y_{nk} = e^{A_{nk}} / \\sum_j e^{A_{nj}}$, and code the "
        "labels one-hot ($T_{nk} = 1$ if $t_n = k$, else 0). The cross-entropy becomes "
        "$E = -\\frac{1}{N} \\sum_n \\sum_k T_{nk} \\log Y_{nk} = -\\frac{1}{N} \\sum_n \\log Y_{n, t_n}$, "
        "plus the same penalty $R(W)$; for $K = 2$ it is the binary cross-entropy again. The output deltas "
        "keep their form, $\\Delta_L = \\frac{1}{N}(Y - T)$, and the rest of backpropagation is unchanged."
    ),
}
