"""copyguard: preflight, diagnose and fix AWS Backup cross-account copies.

The library front door is :mod:`copyguard.api`; this module stays import-light on purpose
(the command line imports it on every start).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
