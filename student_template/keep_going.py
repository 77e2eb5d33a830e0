"""``with keep_going():``: lets "Run All" go on while some functions of the lab are not written yet.

The notebook imports it (``from keep_going import keep_going``, in its first cell) and wraps each cell
that calls the student's functions (plots, checks, training) in it:

* a function that is not written yet (it still raises NotImplementedError) stops its cell quietly,
  with one line saying which function;
* a cell that needs a variable which such a cell did not make says so too;
* any other error shows its traceback as usual, and does not stop the cells below;
* an interrupt (Jupyter's stop button) still stops everything.

So "Run All" always reaches the self-check at the end of the notebook. Ships next to the notebook
(selfcheck_files.NOTEBOOK_FILES); needs nothing but the standard library.
"""
import ast
import inspect
import linecache
import sys
import traceback


class keep_going:   # noqa: N801  (used as a statement: ``with keep_going():``)
    """The context manager of a cell that runs the student's functions (see the module's docstring)."""
    waiting_for = {}   # variable -> the unwritten function that kept a cell from making it

    def __enter__(self):
        self.cell = inspect.currentframe().f_back.f_code.co_filename   # the cell of this `with`
        return self

    def __exit__(self, kind, error, trace):
        if error is not None and not isinstance(error, Exception):
            return False   # an interrupt (the stop button) stops "Run All" as usual
        made_here = self._names_made_in(self.cell)
        if error is None:
            for name in made_here:
                keep_going.waiting_for.pop(name, None)
            return False
        innermost = trace
        while innermost.tb_next is not None:
            innermost = innermost.tb_next
        if isinstance(error, NotImplementedError):
            function = innermost.tb_frame.f_code.co_name
            keep_going.waiting_for.update(dict.fromkeys(made_here, function))
            print(f"Not run yet: {function} is not written yet. This cell runs once it is.")
        elif (isinstance(error, NameError) and getattr(error, "name", None) in keep_going.waiting_for
              and innermost.tb_frame.f_code.co_filename == self.cell):   # NameError.name: Python 3.10+
            function = keep_going.waiting_for[error.name]
            keep_going.waiting_for.update(dict.fromkeys(made_here, function))
            print(f"Not run yet: this cell needs `{error.name}`, which a cell above makes once "
                  f"{function} is written.")
        else:
            shell = _ipython()
            if shell is not None:
                shell.showtraceback((kind, error, trace))   # the notebook's usual error display
            else:   # plain Python, outside Jupyter
                traceback.print_exception(kind, error, trace)
            print("(keep_going: the cells below still run.)")
        return True

    @staticmethod
    def _names_made_in(filename):
        """The variables a cell assigns (from its source, which Jupyter keeps in linecache)."""
        try:
            tree = ast.parse("".join(linecache.getlines(filename)))
        except SyntaxError:
            return set()
        return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}


def _ipython():
    """The running IPython shell, or None (plain Python: IPython is not even imported)."""
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None
