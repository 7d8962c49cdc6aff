"""Run the queued background tasks in-process, as the db_worker would (one by one, each once).

`manage.py db_worker` itself cannot run inside a test transaction on PostgreSQL
(it closes "old" connections), so tests drive the same model API directly.
"""

from django_tasks_db.models import DBTaskResult


def run_pending_tasks() -> int:
    ran = 0
    while True:
        result = DBTaskResult.objects.ready().order_by("enqueued_at").first()
        if result is None:
            return ran
        result.claim("tests")
        task_result = result.task_result
        try:
            value = result.task.call(*task_result.args, **task_result.kwargs)
        except Exception as exc:  # recorded like the worker does, then re-raised for the test
            result.set_failed(exc)
            raise
        result.set_successful(value)
        ran += 1
