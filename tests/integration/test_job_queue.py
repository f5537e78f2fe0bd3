"""Handing a job id to RQ on real Redis: one round trip, and a job flowdesk's worker can run."""

from redis.connection import AbstractConnection
from rq.job import Job

from flowdesk.workers.queue import JOB_FUNCTION, QUEUE_NAME, RqQueue


def test_an_enqueue_is_one_round_trip(redis_url, monkeypatch):
    queue = RqQueue(redis_url)
    queue.enqueue("first")  # RQ asks for the server's version once per queue
    sends = []
    real_send = AbstractConnection.send_packed_command

    def counted_send(self, command, *args, **kwargs):
        sends.append(command)
        return real_send(self, command, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted_send)

    queue.enqueue("job-1")

    assert len(sends) == 1


def test_an_enqueued_job_runs_flowdesks_function_on_the_job_id(redis_url):
    queue = RqQueue(redis_url)

    queue.enqueue("job-1")

    [rq_id] = queue.queue.get_job_ids()
    job = Job.fetch(rq_id, connection=queue.connection, serializer=queue.queue.serializer)
    assert (job.func_name, job.args, job.origin) == (JOB_FUNCTION, ["job-1"], QUEUE_NAME)
    assert queue.connection.smembers("rq:queues") == {f"rq:queue:{QUEUE_NAME}".encode()}
