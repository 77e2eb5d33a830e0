from grader.cli import main
from grader.exit import exit_code

raise SystemExit(exit_code(main()))
