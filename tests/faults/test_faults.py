"""The reliability promise under each fault, on real workers and private servers.

Every scenario ends with: exactly the cap COMPLETE, numbers unique and gap-free, nothing
RUNNING or WAITING, no finished objective's result lost, `hpo-queue submit --wait` returned
with the right exit status, and the other workers alive. A dead node or a broker restart
must cost at most twice the lease plus a few seconds of stalled work.
"""

from __future__ import annotations

import pytest

from tests.faults.conftest import require_faketime
from tests.support.fault_cluster import FaultCluster
from tests.support.fault_scenarios import SHORT, Scenario

RECOVERY_SLACK_SECONDS = 5.0
BOUNDED_RECOVERY = {"node_lost", "redis_restart_5_0s", "cold_shutdown_and_restart"}


@pytest.mark.parametrize("scenario", SHORT, ids=[s.__name__ for s in SHORT])
def test_the_promise_holds_under_the_fault(cluster: FaultCluster, scenario: Scenario) -> None:
    if scenario.__name__ == "clock_off_by_30_s":
        require_faketime()
    outcome = scenario(cluster)
    assert outcome.ok, outcome.explain() + "\n" + cluster.worker_logs()
    if scenario.__name__ in BOUNDED_RECOVERY:
        assert outcome.recovery_seconds is not None
        assert outcome.recovery_seconds <= 2 * cluster.grace + RECOVERY_SLACK_SECONDS, (
            f"work stalled for {outcome.recovery_seconds:.1f} s after the fault"
        )
