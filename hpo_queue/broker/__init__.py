"""The Celery layer's sending side: the app built from Settings, submitting, and job handles.

With :mod:`hpo_queue.worker` (the receiving side) this is the only code that knows about
Celery. The flow: ``Study.submit`` -> :func:`submit_trials` sends one JSON message per trial
by task name -> a worker runs ``hpo_queue.run_trial`` -> the result lands in the store, which
:class:`TrialJob` reads back.
"""

from hpo_queue.broker.app import HpoCelery, celery_config, create_app
from hpo_queue.broker.job import TrialJob
from hpo_queue.broker.submit import app_for, submit_trials

__all__ = ["HpoCelery", "TrialJob", "app_for", "celery_config", "create_app", "submit_trials"]
