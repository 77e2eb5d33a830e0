"""How the grader's command lines end: without the interpreter's last garbage collection."""
import gc


def exit_code(code):
    """``code``, for ``sys.exit``, with every object alive now frozen (:func:`gc.freeze`).

    At exit the interpreter collects the whole heap once more before it frees it: numpy,
    matplotlib, nbformat and the assignment's modules made that 0.3-0.6 s of a grading's wall time
    (py-spy: ``gc_collect_main`` under ``Py_FinalizeEx``, issue 25). Frozen objects are skipped by
    that collection; the process ends right after, so nothing is kept longer. The atexit handlers
    still run."""
    gc.freeze()
    return code
