"""The development stack: ``make run`` (``python -m devserver``) and the mail catcher.

Nothing here is used in production; ``deploy/`` describes how the services run there.
"""
