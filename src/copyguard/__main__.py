# The console entry point (pyproject's [project.scripts] names the same function): the quick
# form of `check` runs without importing click; every other command line goes to click.
from copyguard.cli.quick import main

if __name__ == "__main__":  # pragma: no cover - exercised through subprocess tests
    main()
